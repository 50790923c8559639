import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoardError, type BoardDeps } from './board';
import { EmulatedUno } from './emulated/emulated-uno';
import { loadHexFile, loadStandardFirmata } from './emulated/firmware';
import { JohnnyFiveBoard } from './johnny-five-board';
import { ARDUINO_UNO } from './layout';
import { openSerial } from './serial-board';
import { virtualDeviceOptions, type VirtualBoardSpec, type VirtualDeviceSpec } from './virtual-board';
import { exposeOnPty, type PtyLink } from './virtual/pty-link';
import { resolveWiring } from './wiring';

/** The bench around the emulated Uno (as a virtual board's), and the firmware it runs. */
export interface EmulatedDeviceSpec extends Omit<VirtualDeviceSpec, 'bootMs' | 'baudRate'> {
  /** Optiboot's wait after the reset a host opening the port causes, ms (default 1000). */
  readonly bootloaderMs?: number;
  /** An Intel HEX file to run instead of the fetched StandardFirmata. */
  readonly firmware?: string;
}

export interface EmulatedBoardSpec extends Omit<VirtualBoardSpec, 'kind' | 'device'> {
  readonly kind: 'emulated';
  readonly device?: EmulatedDeviceSpec | undefined;
}

/**
 * A TN board that is real firmware, StandardFirmata, running on an emulated ATmega328P
 * (emulated/emulated-uno.ts) with its serial port on a pty, driven through the same johnny-five
 * path as a real board on a serial path. Opening the port resets the chip, as the DTR line resets
 * a real Uno, so each attach waits for the bootloader and the firmware's start-up (about 2.9 s).
 * Runs on the real clock only: the pty is real I/O.
 */
export class EmulatedBoard extends JohnnyFiveBoard {
  readonly uno: EmulatedUno;
  private readonly dir: string;
  private readonly pty: { link?: Promise<PtyLink> };

  constructor(spec: EmulatedBoardSpec, deps: BoardDeps) {
    if (deps.clock.kind !== 'real') {
      throw new BoardError('BAD_SPEC', deps.tn, 'emulated', 'an emulated board runs on the real clock (its serial port is a pty)');
    }
    const device = spec.device ?? {};
    let flash: Uint8Array;
    try {
      flash = device.firmware === undefined ? loadStandardFirmata() : loadHexFile(device.firmware);
    } catch (err) {
      throw new BoardError('NO_FIRMWARE', deps.tn, 'emulated', err instanceof Error ? err.message : String(err));
    }
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-emulated-'));
    const path = join(dir, 'host');
    const wiring = resolveWiring(spec.wiring, { tn: deps.tn, port: path }, ARDUINO_UNO);
    // The same bench around the pins as a virtual board's; the chip and its firmware are the difference.
    const uno = new EmulatedUno({
      ...virtualDeviceOptions(`emulated:${deps.tn}`, wiring, device, deps),
      flash,
      bootloaderMs: device.bootloaderMs,
    });
    // The opener runs inside super(), before `this` exists: it works on these locals.
    const pty: { link?: Promise<PtyLink> } = {};
    super({
      kind: 'emulated',
      tn: deps.tn,
      port: path,
      wiring,
      clock: deps.clock,
      random: deps.random.fork('board'),
      metrics: deps.metrics,
      // firmata-io asks for the version only after reportVersionTimeoutMs; the Uno announces
      // itself ~2.9 s after the reset, and a question sent into the bootloader's wait is lost. The
      // firmware answers a relay write in milliseconds, but the emulator may run late by a few
      // hundred ms on a loaded host (EmulatedUno.stats()), hence the longer feedback timeout.
      timing: { reportVersionTimeoutMs: 5_000, feedbackTimeoutMs: 2_000, ...spec.timing },
      open: async () => {
        pty.link ??= exposeOnPty(uno, deps.clock, { dir });
        await pty.link;
        // The DTR pulse of a host opening the port: the chip restarts through its bootloader.
        uno.reset('external');
        return openSerial(deps.tn, path, uno.baudRate);
      },
    });
    this.uno = uno;
    this.dir = dir;
    this.pty = pty;
  }

  override async close(): Promise<void> {
    await super.close();
    this.uno.close();
    const link = await this.pty.link?.catch(() => undefined);
    await link?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
