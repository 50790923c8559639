import { BoardError, type BoardDeps } from './board';
import { JohnnyFiveBoard, type AttachTiming } from './johnny-five-board';
import { ARDUINO_UNO } from './layout';
import { VirtualFirmataDevice, type VirtualDeviceOptions } from './virtual/firmata-device';
import type { LoadProfileSpec } from './virtual/load-profile';
import { connectInMemory } from './virtual/memory-link';
import { resolveWiring, type WiringSpec } from './wiring';

/** How the virtual Uno and the world behind its pins behave; every field has a default. */
export interface VirtualDeviceSpec {
  readonly baudRate?: number;
  readonly bootMs?: number;
  /** Relay operate / release time and jitter, ms. */
  readonly closeMs?: number;
  readonly openMs?: number;
  readonly jitterMs?: number;
  /** The household load behind the meter (drives S0 pulses and the analog input); null for none. */
  readonly load?: LoadProfileSpec | null;
  readonly s0PulseMs?: number;
  /** Load at which the analog input reads full scale, W. */
  readonly analogFullScaleW?: number;
}

export interface VirtualBoardSpec {
  readonly kind: 'virtual';
  readonly wiring?: WiringSpec | undefined;
  readonly device?: VirtualDeviceSpec | undefined;
  readonly timing?: AttachTiming | undefined;
}

/**
 * A TN board that is a virtual Firmata device (an Arduino Uno running the Firmata device side in
 * firmata-device.ts), driven through the real johnny-five and firmata-io over an in-memory stream.
 * The device is exposed for fault injection (unplug, plug, muted) and for putting it on a pty.
 */
export class VirtualBoard extends JohnnyFiveBoard {
  readonly device: VirtualFirmataDevice;

  constructor(spec: VirtualBoardSpec, deps: BoardDeps) {
    const port = `virtual:${deps.tn}`;
    const wiring = resolveWiring(spec.wiring, { tn: deps.tn, port }, ARDUINO_UNO);
    const device = new VirtualFirmataDevice(virtualDeviceOptions(port, wiring, spec.device ?? {}, deps));
    super({
      kind: 'virtual',
      tn: deps.tn,
      port,
      wiring,
      clock: deps.clock,
      random: deps.random.fork('board'),
      metrics: deps.metrics,
      ...(spec.timing ? { timing: spec.timing } : {}),
      open: () => {
        if (!device.plugged) throw new BoardError('PORT_MISSING', deps.tn, port, 'the virtual board is unplugged');
        return connectInMemory(device, deps.clock);
      },
    });
    this.device = device;
  }

  override async close(): Promise<void> {
    await super.close();
    this.device.close();
  }
}

/** The device options that make a virtual Uno match a TN's wiring; the device defaults what the spec leaves out. */
export function virtualDeviceOptions(
  id: string,
  wiring: ReturnType<typeof resolveWiring>,
  spec: VirtualDeviceSpec,
  deps: Pick<BoardDeps, 'clock' | 'random'>,
): VirtualDeviceOptions {
  return {
    id,
    clock: deps.clock,
    random: deps.random.fork('device'),
    layout: ARDUINO_UNO,
    baudRate: spec.baudRate,
    bootMs: spec.bootMs,
    relay: { out: wiring.relay, feedback: wiring.feedback, closeMs: spec.closeMs, openMs: spec.openMs, jitterMs: spec.jitterMs },
    ...(wiring.s0 !== null ? { s0: { input: wiring.s0, pulsesPerKWh: wiring.pulsesPerKWh, pulseMs: spec.s0PulseMs } } : {}),
    ...(wiring.analog !== null ? { analog: { channel: wiring.analog.channel, fullScaleW: spec.analogFullScaleW } } : {}),
    load: spec.load,
  };
}
