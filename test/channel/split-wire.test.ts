import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, type Destination, type NodeId, type Transport } from '../../core/transport';
import { Topology, type LinkId } from '../../core/topology';
import { createEmulatedNetwork, type EmulatedNetwork, type RemoteDelivery, type RemoteWire } from '../../channel/emulated-network';
import { lookaheadMs } from '../../channel/lookahead';
import { drawJitter } from '../../channel/loss';
import { PRESETS } from '../../channel/presets';
import { resolveProfile, type ProfileSpec } from '../../channel/profile';
import { zeroCounters, type DirectionCounters } from '../../channel/counters';
import { bytes, classFrame, classify, seqOf } from './helpers';
import { partitionWire, runWindows } from './partitioned-wire';

/**
 * A partitioned run's wire (issue 13) against the one-network wire it must equal: the same
 * frames, at the same times, with the same counters, however the nodes are split.
 */
const topology = Topology.build(2, 3);
const SEED = 'split-wire';
const WAN: ProfileSpec = { preset: 'dsl' };
// Loss high enough that broadcasts (never retried) lose frames in a short run.
const PLC: ProfileSpec = { preset: 'g3-plc-cenelec-a', loss: { p: 0.2 } };
const profileFor = (link: LinkId): ProfileSpec => (link.kind === 'wan' ? WAN : PLC);

interface Seen {
  readonly to: NodeId;
  readonly from: NodeId;
  readonly at: number;
  readonly sentAt: number;
  readonly seq: number;
}

/**
 * Every node on one of the parts, recording what it receives and reacting as nodes do: a DC
 * broadcasts what the HES sent it to its segment, a TN answers a broadcast to its DC, a DC passes
 * a TN's frame up to the HES. The scripted sends come at fixed times on the sender's clock.
 */
function attachAll(parts: readonly { clock: VirtualClock; net: EmulatedNetwork }[], partOf: (node: NodeId) => number, seen: Seen[]): void {
  const transports = new Map<NodeId, { t: Transport; clock: VirtualClock }>();
  const send = (from: NodeId, to: Destination, seq: number): void => transports.get(from)!.t.send(to, classFrame(7, seq, 40));
  for (const node of topology.nodes) {
    const { net, clock } = parts[partOf(node)]!;
    const t = net.attach(node);
    transports.set(node, { t, clock });
    t.onFrame((r) => {
      const seq = seqOf(r.frame);
      seen.push({ to: node, from: r.from, at: clock.now(), sentAt: r.sentAt, seq });
      const role = topology.roleOf(node);
      // Reactions get sequence numbers from the frame they answer, so both set-ups number them alike.
      if (role === 'dc' && r.from === topology.hes && seq < 100) send(node, SEGMENT_BROADCAST, seq * 10);
      else if (role === 'tn' && seq >= 100 && seq < 1000) send(node, r.from, seq * 10 + Number(node.slice(-1)));
      else if (role === 'dc' && topology.roleOf(r.from) === 'tn' && seq < 100_000) send(node, topology.hes, seq * 10);
    });
  }
  const script: [number, NodeId, Destination][] = [];
  for (let k = 0; k < 6; k++) {
    const t0 = 37 + k * 53.5;
    script.push(
      [t0, 'hes', k % 2 ? 'dc1' : 'dc2'],
      [t0 + 3, 'dc2', 'hes'],
      [t0 + 7, 'dc1', SEGMENT_BROADCAST],
      [t0 + 11, 'tn2.002', 'dc2'],
    );
  }
  script.push([200, 'hes', 'dc2'], [200, 'hes', 'dc1'], [200, 'hes', 'dc2']);
  script.forEach(([time, from, to], i) => {
    const seq = 10 + i;
    const { clock } = transports.get(from)!;
    clock.setTimer(time, () => send(from, to, seq));
  });
}

const newNet = (clock: VirtualClock, remote?: RemoteWire): EmulatedNetwork =>
  createEmulatedNetwork({
    topology,
    clock,
    random: new Random(SEED),
    classify,
    profileFor,
    metricsIntervalMs: 0,
    ...(remote ? { remote } : {}),
  });

/** Each link direction's counters summed over the networks (each counts the directions its nodes send on). */
function sumCounters(nets: readonly EmulatedNetwork[]): Record<string, { up: DirectionCounters; down: DirectionCounters }> {
  const out: Record<string, { up: DirectionCounters; down: DirectionCounters }> = {};
  for (const net of nets)
    for (const [name, link] of Object.entries(net.control.stats().links)) {
      const acc = (out[name] ??= { up: zeroCounters(), down: zeroCounters() });
      for (const d of ['up', 'down'] as const) for (const k of Object.keys(acc[d]) as (keyof DirectionCounters)[]) acc[d][k] += link[d][k];
    }
  return out;
}

async function oneNetwork(): Promise<{ seen: Seen[]; counters: ReturnType<typeof sumCounters> }> {
  const clock = new VirtualClock();
  const net = newNet(clock);
  const seen: Seen[] = [];
  attachAll([{ clock, net }], () => 0, seen);
  await clock.run();
  return { seen, counters: sumCounters([net]) };
}

/** The HES and dc1's segment on one partition, dc2's on the other, advanced in windows. */
async function splitNetwork(): Promise<{ seen: Seen[]; counters: ReturnType<typeof sumCounters>; windows: number; crossed: number }> {
  const side = (node: NodeId): number => (node === 'dc2' || topology.dcOf(node) === 'dc2' ? 1 : 0);
  const parts = partitionWire(2, side, (clock, remote) => newNet(clock, remote));
  const lookahead = lookaheadMs(topology, (link) => resolveProfile(profileFor(link), PRESETS));
  const seen: Seen[] = [];
  attachAll(parts, side, seen);
  const { windows, crossed } = await runWindows(parts, side, lookahead);
  return { seen, counters: sumCounters(parts.map((p) => p.net)), windows, crossed };
}

const byNode = (seen: readonly Seen[]): Record<NodeId, Seen[]> => {
  const out: Record<NodeId, Seen[]> = {};
  for (const s of seen) (out[s.to] ??= []).push(s);
  return out;
};

describe('split wire: two partitions on their own clocks equal one network', () => {
  it('delivers every frame to the same node at the same time, with the same counters', async () => {
    const whole = await oneNetwork();
    const split = await splitNetwork();

    expect(split.windows).toBeGreaterThan(10);
    expect(split.crossed).toBeGreaterThan(10);
    expect(byNode(split.seen)).toEqual(byNode(whole.seen));
    expect(split.counters).toEqual(whole.counters);
    // The wire did what the scenario's does: jittered WAN arrivals, PLC broadcasts lost, every node reached.
    expect(whole.counters['plc:dc1']!.down.dropsLoss + whole.counters['plc:dc2']!.down.dropsLoss).toBeGreaterThan(0);
    expect(new Set(whole.seen.map((s) => s.to))).toEqual(new Set(topology.nodes));
    expect(whole.seen.filter((s) => s.to === 'hes' && s.from === 'dc2').some((s) => (s.at - s.sentAt) % 1 !== 0)).toBe(true);
  });
});

describe('deliverRemote', () => {
  const pair = () => {
    const clock = new VirtualClock();
    const errors: string[] = [];
    const net = createEmulatedNetwork({
      topology,
      clock,
      random: new Random(1),
      classify,
      remote: { isLocal: () => true, ship: () => {} },
      onHandlerError: (node, error) => errors.push(`${node}: ${String(error)}`),
    });
    return { clock, net, errors };
  };
  const delivery = (at: number, to: NodeId): RemoteDelivery => ({ at, to, received: { frame: bytes(4), from: 'hes', sentAt: 0 } });

  it('hands the frame over at its time, a throwing handler reported as for a local frame', async () => {
    const { clock, net, errors } = pair();
    const got: number[] = [];
    const t = net.attach('dc2');
    t.onFrame(() => got.push(clock.now()));
    t.onFrame(() => {
      throw new Error('bad handler');
    });
    await clock.advance(5);
    net.deliverRemote(delivery(12.5, 'dc2'));
    net.deliverRemote(delivery(5, 'dc2'));
    await clock.run();
    expect(got).toEqual([5, 12.5]);
    expect(errors).toEqual(['dc2: Error: bad handler', 'dc2: Error: bad handler']);
  });

  it('refuses a frame whose time has passed (a causality breach), naming the node and both times', async () => {
    const { clock, net } = pair();
    await clock.advance(20);
    expect(() => net.deliverRemote(delivery(19.5, 'dc2'))).toThrow(/dc2.*19\.5 ms.*20 ms.*causality/);
  });

  it('counts a frame for an absent node as receiver-absent, and drops what is pending at close', async () => {
    const { clock, net } = pair();
    net.deliverRemote(delivery(1, 'dc1'));
    await clock.run();
    expect(net.control.stats().rejected).toEqual({ 'receiver-absent': 1 });
    const got: number[] = [];
    net.attach('dc2').onFrame(() => got.push(clock.now()));
    net.deliverRemote(delivery(3, 'dc2'));
    await net.close();
    expect(clock.nextTimerAt()).toBeUndefined();
    expect(got).toEqual([]);
  });
});

describe('lookaheadMs', () => {
  const of = (wan: ProfileSpec) => (link: LinkId) => resolveProfile(link.kind === 'wan' ? wan : PLC, PRESETS);

  it('is the least WAN latency', () => {
    expect(lookaheadMs(topology, of({ preset: 'dsl' }))).toBe(10);
    const mixed = (link: LinkId) => resolveProfile(link.dc === 'dc2' ? { preset: 'lan' } : { preset: 'gprs' }, PRESETS);
    expect(lookaheadMs(topology, mixed)).toBe(0.1);
    expect(lookaheadMs(Topology.build(0, 0), mixed)).toBe(Infinity);
  });

  it('refuses a WAN link with no latency or with one medium for both directions, naming it', () => {
    expect(() => lookaheadMs(topology, of({ preset: 'pass-through' }))).toThrow(/wan:dc1 has latencyMs 0/);
    expect(() => lookaheadMs(topology, of({ preset: 'dsl', duplex: 'half' }))).toThrow(/wan:dc1 is half duplex/);
  });

  it('rests on jitter never being negative, in every distribution', () => {
    const random = new Random('jitter');
    for (const distribution of ['none', 'uniform', 'normal', 'exponential'] as const) {
      let least = Infinity;
      for (let i = 0; i < 20_000; i++) least = Math.min(least, drawJitter({ distribution, ms: 5 }, random));
      expect(least, distribution).toBeGreaterThanOrEqual(0);
    }
  });
});
