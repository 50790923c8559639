/**
 * smgw-tls on a partitioned run's wire (issue 13): the HES on one partition, each DC with its TNs
 * on another, each with its own clock and emulated network, advanced in windows of the WAN's
 * lookahead. Real TLS runs end to end between the HES and the TNs across the split, and the mode
 * sees what it sees on one network (the same test, all nodes on one partition): every TN enrolled,
 * every meter reading and command delivered, commands timed from the HES's issue, no frame refused.
 * Timings are not compared exactly: real TLS draws its own randomness (signature lengths vary).
 */
import { describe, expect, it } from 'vitest';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { lookaheadMs } from '../../channel/lookahead';
import { PRESETS } from '../../channel/presets';
import { resolveProfile, type ProfileSpec } from '../../channel/profile';
import type { LinkId } from '../../core/topology';
import { Topology } from '../../core/topology';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import type { NodeId } from '../../core/transport';
import { createMode } from '../../nodes/modes';
import { createPki } from '../../nodes/smgw-tls/pki';
import { peekClassName } from '../../nodes/protocol/message-class';
import { driveWindows, partitionWire, runWindows, startOn } from '../channel/partitioned-wire';

const profileFor = (link: LinkId): ProfileSpec => ({ preset: link.kind === 'plc' ? 'g3-plc-cenelec-a' : 'dsl' });

/** split: the HES, dc1's segment and dc2's on partitions of their own; otherwise all on one. */
function splitWireBench(split: boolean) {
  const topology = Topology.build(2, 3);
  const partOf = (node: NodeId): number => (!split || node === topology.hes ? 0 : Number((topology.dcOf(node) ?? node).slice(2)));
  const random = new Random(11);
  const recorder = new SampleRecorder();
  const pki = createPki({ hes: topology.hes, tns: topology.tns });
  const parts = partitionWire(split ? 3 : 1, partOf, (clock, remote) =>
    createEmulatedNetwork({ topology, clock, random: random.fork('channel'), classify: peekClassName, profileFor, remote }),
  );
  const modes = parts.map(({ clock, net }, index) =>
    createMode('smgw-tls', {
      clock,
      network: net,
      topology,
      random: random.fork(`part${index}`),
      metrics: recorder.metrics(clock, { run: 'test', part: String(index) }),
      plc: () => PRESETS['g3-plc-cenelec-a'],
      local: (node) => partOf(node) === index,
      options: { pki },
    }),
  );
  const lookahead = lookaheadMs(topology, (link) => resolveProfile(profileFor(link), PRESETS));
  return {
    topology,
    recorder,
    parts,
    hesSide: modes[0]!,
    modes,
    drive: <T>(work: Promise<T>) => driveWindows(parts, partOf, lookahead, work),
    /** Starts an operation of the HES's side: at the furthest partition's time, as the engine must. */
    onHes: <T>(fn: () => T) => startOn(parts, 0, fn),
    /** Runs every partition's clock ms past the furthest one. */
    advance: async (ms: number) => {
      const until = Math.max(...parts.map((p) => p.clock.now())) + ms;
      await runWindows(parts, partOf, lookahead, () => parts.every((p) => (p.clock.nextTimerAt() ?? Infinity) >= until));
    },
    async close() {
      for (const mode of modes) await mode.close();
      for (const p of parts) await p.net.close();
    },
  };
}

describe('smgw-tls on a split wire (a partitioned run)', () => {
  it.each([
    ['one network', false],
    ['three partitions', true],
  ])('on %s: enrols every TN over real TLS, answers a meter round and relays commands, refusing nothing', async (_name, split) => {
    const bench = splitWireBench(split);
    const boots = await bench.drive(Promise.all(bench.modes.map((m) => m.bootstrap())));
    expect(boots.reduce((n, b) => n + b.enrolled, 0)).toBe(6);
    expect(boots.flatMap((b) => b.failed)).toEqual([]);
    expect(bench.recorder.select('handshake')).toHaveLength(6);

    const round = await bench.drive(bench.onHes(() => bench.hesSide.meterRound(60_000)));
    expect(round).toMatchObject({ responses: 6, missing: [] });

    const issuing = bench.onHes(() => bench.hesSide.automation('dc2', { relay: 'on' }));
    await bench.advance(30_000);
    const issued = await issuing;
    const latencies = bench.recorder.select('automation_latency', { dc: 'dc2' });
    expect(latencies.map((s) => s.tags.tn).sort()).toEqual(['tn2.001', 'tn2.002', 'tn2.003']);
    for (const s of latencies) {
      // the HES's issue time crossed the split with the frames: the TN's clock agrees with the HES's
      expect(s.time - (s.fields.latency_ms as number)).toBeCloseTo(issued.issuedAt, 6);
      expect(s.fields.latency_ms as number).toBeGreaterThan(10); // the WAN's latency at least
    }
    if (split) {
      // the HES's frames to dc2 left on the HES's partition, dc2's answers on dc2's
      const wan = (part: number) => bench.parts[part]!.net.control.stats().links['wan:dc2']!;
      expect(wan(0).down.framesDelivered).toBeGreaterThan(0);
      expect(wan(2).up.framesDelivered).toBeGreaterThan(0);
      expect(wan(0).up.framesOffered + wan(2).down.framesOffered).toBe(0);
    }
    expect(bench.recorder.select('frame_rejected')).toEqual([]);
    for (const p of bench.parts) expect(p.net.control.stats().rejected).toEqual({});
    await bench.close();
  });
});
