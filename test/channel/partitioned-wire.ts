import { VirtualClock } from '../../core/clock';
import type { NodeId } from '../../core/transport';
import type { EmulatedNetwork, RemoteDelivery, RemoteWire } from '../../channel/emulated-network';

/**
 * A test driver of a partitioned run's wire (issue 13), the way the engine advances it: one
 * emulated network per partition on its own clock; frames for another partition's nodes wait in
 * the sender's outbox (structured-cloned, as postMessage would) until the barrier.
 */
export interface WirePartition {
  readonly clock: VirtualClock;
  readonly net: EmulatedNetwork;
  readonly outbox: RemoteDelivery[];
}

export function partitionWire(
  count: number,
  partOf: (node: NodeId) => number,
  make: (clock: VirtualClock, remote: RemoteWire, index: number) => EmulatedNetwork,
): WirePartition[] {
  return Array.from({ length: count }, (_, index) => {
    const clock = new VirtualClock();
    const outbox: RemoteDelivery[] = [];
    const net = make(clock, { isLocal: (node) => partOf(node) === index, ship: (d) => outbox.push(structuredClone(d)) }, index);
    return { clock, net, outbox };
  });
}

/**
 * Advances the partitions in windows until `done()` or no timer is left anywhere: H = the earliest
 * next timer (once every partition has settled) + lookahead; each partition fires its timers before H; then the shipped frames go to
 * their receivers' partitions in (at, source partition, sequence) order. Throws if a frame was
 * shipped for before the horizon, which would mean the lookahead does not hold.
 */
export async function runWindows(
  parts: readonly WirePartition[],
  partOf: (node: NodeId) => number,
  lookahead: number,
  done: () => boolean = () => false,
): Promise<{ windows: number; crossed: number }> {
  let windows = 0;
  let crossed = 0;
  while (!done()) {
    // Work started outside a window (an operation called between windows) sets its first timers
    // only after a few turns of the event loop: settle before asking for the next timer.
    for (const p of parts) await p.clock.settle();
    if (done()) break;
    const next = Math.min(...parts.map((p) => p.clock.nextTimerAt() ?? Infinity));
    if (next === Infinity) break;
    const horizon = next + lookahead;
    for (const p of parts) await p.clock.runBefore(horizon);
    windows++;
    const barrier = parts.flatMap((p, source) => p.outbox.splice(0).map((d, seq) => ({ d, source, seq })));
    barrier.sort((a, b) => a.d.at - b.d.at || a.source - b.source || a.seq - b.seq);
    for (const { d } of barrier) {
      if (d.at < horizon) throw new Error(`a frame for ${d.to} was shipped for ${d.at} ms, before the window's horizon ${horizon} ms`);
      parts[partOf(d.to)]!.net.deliverRemote(d);
      crossed++;
    }
  }
  return { windows, crossed };
}

/** Drives the partitions until `work` settles; throws its error, or if nothing is left to complete it. */
export async function driveWindows<T>(
  parts: readonly WirePartition[],
  partOf: (node: NodeId) => number,
  lookahead: number,
  work: Promise<T>,
): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  work.then(
    (value) => (outcome = { ok: true, value }),
    (error: unknown) => (outcome = { ok: false, error }),
  );
  await runWindows(parts, partOf, lookahead, () => outcome !== undefined);
  if (!outcome) throw new Error('driveWindows: the awaited work is still pending and no timer is left to complete it');
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * Runs `fn` on partition `index` at the furthest partition's time. Between windows the partitions'
 * clocks stand where their last timers put them; an operation started at a lagging partition's
 * now() could send a frame that arrives in another partition's past (deliverRemote refuses it).
 */
export function startOn<T>(parts: readonly WirePartition[], index: number, fn: () => T): Promise<T> {
  const { clock } = parts[index]!;
  const at = Math.max(...parts.map((p) => p.clock.now()));
  return new Promise<T>((resolve, reject) =>
    clock.setTimer(at - clock.now(), () => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
}
