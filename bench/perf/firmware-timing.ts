/**
 * perf:boards, part two: where the virtual Firmata device's timing differs from the real
 * firmware's. One board of each kind, one after the other in this process, each created, attached
 * and toggled ROUNDS times:
 *
 *   virtual       the virtual device over the in-memory stream (what `kind: virtual` runs), real clock
 *   virtualPty    the same device on a pty, opened as a serial path (the emulated board's transport)
 *   emulated      StandardFirmata on the emulated ATmega328P, on a pty (`kind: emulated`), real clock
 *   virtualModel  the virtual device on a VirtualClock: the model's own figures, no event loop in them
 *
 * startUpMs is board created to attached (johnny-five ready and the pins configured): for the
 * emulated board that is the pty set-up, the reset on opening the port, Optiboot's wait, the
 * firmware's start-up and the Firmata handshake. relayToggle is the johnny-five relay call to the
 * feedback report of the change. `differences` is emulated minus virtual.
 */
import { RealClock, VirtualClock, type Clock } from '../../core/clock';
import { nextEvent, waitOnClock } from '../../core/clock-wait';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import type { RelayChange } from '../../nodes/boards/board';
import { EmulatedBoard } from '../../nodes/boards/emulated-board';
import { fetchStandardFirmata } from '../../nodes/boards/emulated/firmware';
import type { JohnnyFiveBoard } from '../../nodes/boards/johnny-five-board';
import { SerialBoard } from '../../nodes/boards/serial-board';
import { VirtualBoard, virtualDeviceOptions } from '../../nodes/boards/virtual-board';
import { VirtualFirmataDevice } from '../../nodes/boards/virtual/firmata-device';
import { exposeOnPty } from '../../nodes/boards/virtual/pty-link';
import { resolveWiring } from '../../nodes/boards/wiring';
import { nearestRankPercentile as percentile } from '../../core/statistics';
import { round } from './measure';

export interface BoardTiming {
  readonly transport: 'in-memory' | 'pty';
  readonly clock: Clock['kind'];
  readonly firmware: string;
  readonly startUpMs: number;
  readonly relayToggle: { readonly p50Ms: number; readonly p99Ms: number; readonly closeP50Ms: number; readonly openP50Ms: number };
}

export interface FirmwareTiming {
  readonly rounds: number;
  readonly virtual: BoardTiming;
  readonly virtualPty: BoardTiming;
  readonly emulated: BoardTiming & {
    /** Largest lag of the emulated CPU behind real time, and its speed over the run (CPU ms per real ms). */
    readonly emulator: { readonly maxLagMs: number; readonly cpuPerRealMs: number; readonly processCpuShare: number };
  };
  readonly virtualModel: BoardTiming;
  readonly differences: { readonly startUpMs: number; readonly relayP50Ms: number; readonly relayP99Ms: number };
}

const tn = 'tn1.001';
const ms = (v: number): number => round(v, 2);

async function measure(clock: Clock, board: JohnnyFiveBoard, createdAt: number, rounds: number, transport: BoardTiming['transport']) {
  const status = await waitOnClock(clock, board.ready(), 30_000, `${board.kind} board attach`);
  if (status !== 'attached') throw new Error(`${board.kind} board did not attach: ${board.lastError()?.message}`);
  const startUpMs = clock.now() - createdAt;
  const firmware = board.firmware();
  await waitOnClock(clock, clock.sleep(200), 1_000, 'settle');
  const close: number[] = [];
  const open: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const closed = r % 2 === 0;
    const change = nextEvent<RelayChange>(
      (l) => board.onRelayChange(l),
      (c) => c.closed === closed,
    );
    board.switchRelay(closed);
    const seen = await waitOnClock(clock, change, 10_000, `toggle ${r}`);
    (closed ? close : open).push(seen.seenAt - seen.command!.issuedAt);
    await waitOnClock(clock, clock.sleep(20), 1_000, 'pause');
  }
  const all = [...close, ...open];
  return {
    transport,
    clock: clock.kind,
    firmware: firmware ? `${firmware.name} ${firmware.major}.${firmware.minor}` : 'unknown',
    startUpMs: ms(startUpMs),
    relayToggle: {
      p50Ms: ms(percentile(all, 50)),
      p99Ms: ms(percentile(all, 99)),
      closeP50Ms: ms(percentile(close, 50)),
      openP50Ms: ms(percentile(open, 50)),
    },
  } satisfies BoardTiming;
}

async function virtualInMemory(clock: Clock, rounds: number): Promise<BoardTiming> {
  const createdAt = clock.now();
  const board = new VirtualBoard({ kind: 'virtual' }, { tn, clock, random: new Random('perf:firmware/virtual'), metrics: NO_METRICS });
  try {
    return await measure(clock, board, createdAt, rounds, 'in-memory');
  } finally {
    await board.close();
  }
}

async function virtualOnPty(rounds: number): Promise<BoardTiming> {
  const clock = new RealClock();
  const createdAt = clock.now();
  const random = new Random('perf:firmware/pty');
  const device = new VirtualFirmataDevice(
    virtualDeviceOptions('pty', resolveWiring(undefined, { tn, port: 'pty' }), {}, { clock, random }),
  );
  const link = await exposeOnPty(device, clock);
  const board = new SerialBoard({ kind: 'real', port: link.path }, { tn, clock, random, metrics: NO_METRICS });
  try {
    return await measure(clock, board, createdAt, rounds, 'pty');
  } finally {
    await board.close();
    await link.close();
    device.close();
  }
}

async function emulated(rounds: number): Promise<FirmwareTiming['emulated']> {
  await fetchStandardFirmata();
  const clock = new RealClock();
  const createdAt = clock.now();
  const board = new EmulatedBoard({ kind: 'emulated' }, { tn, clock, random: new Random('perf:firmware/emulated'), metrics: NO_METRICS });
  const cpuBefore = process.cpuUsage();
  try {
    const timing = await measure(clock, board, createdAt, rounds, 'pty');
    const stats = board.uno.stats();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      ...timing,
      emulator: {
        maxLagMs: ms(stats.maxLagMs),
        cpuPerRealMs: round(stats.cpuMs / stats.realMs, 3),
        processCpuShare: round((cpu.user + cpu.system) / 1_000 / (clock.now() - createdAt), 2),
      },
    };
  } finally {
    await board.close();
  }
}

export async function firmwareTiming(rounds: number): Promise<FirmwareTiming> {
  const virtual = await virtualInMemory(new RealClock(), rounds);
  const virtualPty = await virtualOnPty(rounds);
  const emulatedTiming = await emulated(rounds);
  const virtualModel = await virtualInMemory(new VirtualClock(), rounds);
  return {
    rounds,
    virtual,
    virtualPty,
    emulated: emulatedTiming,
    virtualModel,
    differences: {
      startUpMs: ms(emulatedTiming.startUpMs - virtual.startUpMs),
      relayP50Ms: ms(emulatedTiming.relayToggle.p50Ms - virtual.relayToggle.p50Ms),
      relayP99Ms: ms(emulatedTiming.relayToggle.p99Ms - virtual.relayToggle.p99Ms),
    },
  };
}

/** The comparison as lines for the human-readable part of the report. */
export function firmwareTimingLines(t: FirmwareTiming): string[] {
  const row = (name: string, b: BoardTiming): string =>
    `${name.padEnd(14)}${b.clock.padEnd(9)}${b.transport.padEnd(11)}start-up ${String(b.startUpMs).padStart(8)} ms   relay toggle p50 ${b.relayToggle.p50Ms} / p99 ${b.relayToggle.p99Ms} ms (close ${b.relayToggle.closeP50Ms}, open ${b.relayToggle.openP50Ms})   ${b.firmware}`;
  return [
    `virtual device against the real firmware (StandardFirmata in the AVR emulator), ${t.rounds} toggles each`,
    row('virtual', t.virtual),
    row('virtual/pty', t.virtualPty),
    row('emulated', t.emulated),
    row('virtual model', t.virtualModel),
    `emulator: max lag ${t.emulated.emulator.maxLagMs} ms behind real time, ${t.emulated.emulator.cpuPerRealMs} CPU ms per real ms, process CPU ${t.emulated.emulator.processCpuShare} of a core`,
    `emulated minus virtual: start-up ${t.differences.startUpMs} ms, relay p50 ${t.differences.relayP50Ms} ms, p99 ${t.differences.relayP99Ms} ms`,
  ];
}
