/**
 * perf:boards: the cost and the speed of virtual boards driven through johnny-five, many in one
 * process, on a real clock (real timers, real event-loop contention).
 *
 *   heapBytesPerBoard  heap held per attached virtual board (johnny-five Board, Relay, Led,
 *                      firmata-io, the in-memory link and the Firmata device), after GC
 *   relayToggle        johnny-five relay call to the feedback pin change reported back, all boards
 *                      switching together, ROUNDS times
 *   commandToPin       a signed automation command leaving the DC (lean mode) to the relay pin
 *                      change at every TN of the segment, on a pass-through channel; the TNs verify
 *                      the DC's signature with node:crypto, all in this one process
 *
 * Both latencies include the virtual Uno's modelled 57600-baud link (3 bytes each way) and relay
 * operate/release time (10/5 ms). The top-level numbers are from a RealClock; `virtualClock` repeats
 * the run on a VirtualClock (the model's exact latencies, and the wall time such a CI run takes).
 * There the two latencies come out equal, as they should: with no compute profile and a
 * pass-through channel, signing, verifying and forwarding take no virtual time, so all that is
 * left of a command is the board's link and relay.
 *
 *   firmwareTiming     the virtual device's timing against the real firmware's (StandardFirmata in
 *                      the AVR emulator): start-up and relay toggle p50/p99 side by side, with the
 *                      clock and transport each ran on (firmware-timing.ts)
 *
 * Last line: one JSON object. BOARDS and ROUNDS override the size, FIRMWARE_ROUNDS the toggles
 * of the firmware comparison.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import type { RelayChange } from '../../nodes/boards/board';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { nextEvent, pollOnClock, waitOnClock } from '../../core/clock-wait';
import { createMode } from '../../nodes/modes';
import { RealClock, VirtualClock, type Clock } from '../../core/clock';
import { NO_METRICS, SampleRecorder, type Metrics } from '../../core/metrics';
import { Random } from '../../core/random';
import { nearestRankPercentile as percentile } from '../../core/statistics';
import { report, round } from './measure';
import { peekClassName } from '../../nodes/protocol/message-class';
import { firmwareTiming, firmwareTimingLines } from './firmware-timing';

const BOARDS = Number(process.env.BOARDS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const FIRMWARE_ROUNDS = Number(process.env.FIRMWARE_ROUNDS ?? 40);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function makeBoards(ids: readonly string[], clock: Clock, metrics: Metrics): VirtualBoard[] {
  const random = new Random('perf:boards');
  return ids.map((tn) => new VirtualBoard({ kind: 'virtual', device: { bootMs: 100 } }, { tn, clock, random: random.fork(tn), metrics }));
}

async function attachAll(clock: Clock, boards: readonly VirtualBoard[]): Promise<void> {
  const statuses = await waitOnClock(clock, Promise.all(boards.map((b) => b.ready())), 60_000, 'attach all boards');
  const failed = boards.filter((_, i) => statuses[i] !== 'attached');
  if (failed.length) throw new Error(`boards did not attach: ${failed.map((b) => `${b.tn}: ${b.lastError()?.message}`).join('; ')}`);
  // Let the pin setup written on attach drain from every serial link.
  await waitOnClock(clock, clock.sleep(200), 1_000, 'settle');
}

const stats = (values: readonly number[]) => ({ p50Ms: round(percentile(values, 50), 2), p99Ms: round(percentile(values, 99), 2) });

async function relayToggle(clock: Clock, boards: readonly VirtualBoard[]): Promise<number[]> {
  const latencies: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const closed = r % 2 === 0;
    const changes = boards.map((b) =>
      nextEvent<RelayChange>(
        (l) => b.onRelayChange(l),
        (c) => c.closed === closed,
      ),
    );
    for (const b of boards) b.switchRelay(closed);
    for (const c of await waitOnClock(clock, Promise.all(changes), 10_000, `toggle round ${r}`)) {
      latencies.push(c.seenAt - c.command!.issuedAt);
    }
    await waitOnClock(clock, clock.sleep(20), 1_000, 'pause');
  }
  return latencies;
}

async function commandToPin(clock: Clock): Promise<number[]> {
  const topology = Topology.build(1, BOARDS);
  const recorder = new SampleRecorder();
  const metrics = recorder.metrics(clock);
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: new Random('perf:boards/channel'),
    classify: peekClassName,
    metrics: NO_METRICS,
  });
  const boards = new Map(makeBoards(topology.tns, clock, metrics).map((b) => [b.tn, b]));
  const mode = createMode('lean', { topology, network, clock, metrics, random: new Random('perf:boards/lean'), boards });
  try {
    await attachAll(clock, [...boards.values()]);
    const boot = await waitOnClock(clock, mode.bootstrap(), 600_000, 'lean bootstrap');
    if (boot.failed.length) throw new Error(`lean bootstrap failed for ${boot.failed.join(', ')}`);
    const latencies: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const before = recorder.select('relay_switch').length;
      mode.automation('dc1', { relay: r % 2 === 0 ? 'on' : 'off' });
      await pollOnClock(clock, () => recorder.select('relay_switch').length >= before + BOARDS, 10_000, 5);
      const round = recorder.select('relay_switch').slice(before);
      if (round.length < BOARDS) throw new Error(`automation round ${r}: ${round.length}/${BOARDS} relays switched within 10 s`);
      for (const s of round) latencies.push(s.fields.latency_ms as number);
      await waitOnClock(clock, clock.sleep(20), 1_000, 'pause');
    }
    return latencies;
  } finally {
    await mode.close();
    await network.close();
    await Promise.all([...boards.values()].map((b) => b.close()));
  }
}

async function measure(
  clock: Clock,
  ids: readonly string[],
): Promise<{ heapBytesPerBoard: number; toggles: number[]; commands: number[] }> {
  const before = heapUsed();
  const boards = makeBoards(ids, clock, NO_METRICS);
  await attachAll(clock, boards);
  const heapBytesPerBoard = Math.round((heapUsed() - before) / BOARDS);
  const toggles = await relayToggle(clock, boards);
  await Promise.all(boards.map((b) => b.close()));
  const commands = await commandToPin(clock);
  return { heapBytesPerBoard, toggles, commands };
}

async function main(): Promise<void> {
  const ids = Array.from({ length: BOARDS }, (_, i) => `tn1.${String(i + 1).padStart(3, '0')}`);
  const real = await measure(new RealClock(), ids);
  // The same on a VirtualClock: the modelled latencies exactly (no event-loop delay), and what a
  // deterministic CI run of this many johnny-five boards costs in wall time.
  const wallStart = performance.now();
  const virtual = await measure(new VirtualClock(), ids);
  const wallMs = Math.round(performance.now() - wallStart);
  const firmware = await firmwareTiming(FIRMWARE_ROUNDS);
  const result = {
    boards: BOARDS,
    heapBytesPerBoard: real.heapBytesPerBoard,
    relayToggle: stats(real.toggles),
    commandToPin: stats(real.commands),
    clock: 'real',
    rounds: ROUNDS,
    virtualClock: { relayToggle: stats(virtual.toggles), commandToPin: stats(virtual.commands), wallMs },
    firmwareTiming: firmware,
  };
  report(result, [
    `${BOARDS} virtual boards through johnny-five in one process, ${ROUNDS} rounds`,
    `heap per attached board: ${(result.heapBytesPerBoard / 1024).toFixed(1)} KiB`,
    `real clock    relay toggle (johnny-five call to feedback report): p50 ${result.relayToggle.p50Ms} ms, p99 ${result.relayToggle.p99Ms} ms`,
    `real clock    signed automation command, DC send to relay pin change: p50 ${result.commandToPin.p50Ms} ms, p99 ${result.commandToPin.p99Ms} ms`,
    `virtual clock relay toggle p50 ${result.virtualClock.relayToggle.p50Ms} / p99 ${result.virtualClock.relayToggle.p99Ms} ms, ` +
      `command to pin p50 ${result.virtualClock.commandToPin.p50Ms} / p99 ${result.virtualClock.commandToPin.p99Ms} ms (${wallMs} ms wall)`,
    ...firmwareTimingLines(firmware),
  ]);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`perf:boards: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
