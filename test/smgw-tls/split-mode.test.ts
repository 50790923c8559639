/**
 * smgw-tls split the way a distributed bench splits it (the HES and DCs in one "process", the TNs
 * in another), on the emulated wire and a virtual clock: two modes that share nothing but the PKI
 * and the wire. Each TN measures an automation command from the HES's issue, which it learns only
 * from the frames (issue-stamps.ts), also when the frames were retransmitted or the command waited
 * for the channel.
 */
import { describe, expect, it } from 'vitest';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { PRESETS } from '../../channel/presets';
import type { ProfileSpec } from '../../channel/profile';
import { Topology } from '../../core/topology';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { createMode } from '../../nodes/modes';
import { createPki } from '../../nodes/smgw-tls/pki';
import { peekClassName } from '../../nodes/protocol/message-class';

function splitBench(plc: ProfileSpec = { preset: 'g3-plc-cenelec-a' }) {
  const clock = new VirtualClock();
  const topology = Topology.build(2, 3);
  const recorder = new SampleRecorder();
  const random = new Random(7);
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    profileFor: (link) => (link.kind === 'plc' ? plc : { preset: 'dsl' }),
  });
  const pki = createPki({ hes: topology.hes, tns: topology.tns });
  const profile = PRESETS['g3-plc-cenelec-a'];
  const half = (label: string, local: (node: string) => boolean) =>
    createMode('smgw-tls', {
      clock,
      network,
      topology,
      random: random.fork(label),
      metrics: recorder.metrics(clock, { run: 'test', half: label }),
      plc: () => profile,
      local,
      options: { pki },
    });
  const hesSide = half('hes', (node) => topology.roleOf(node) !== 'tn');
  const tnSide = half('tns', (node) => topology.roleOf(node) === 'tn');
  const latencies = (dc: string) =>
    recorder
      .select('automation_latency', { dc })
      .map((s) => ({ tn: s.tags.tn!, counter: s.fields.counter as number, latency: s.fields.latency_ms as number, at: s.time }));
  return {
    clock,
    recorder,
    hesSide,
    tnSide,
    latencies,
    async close() {
      await hesSide.close();
      await tnSide.close();
      await network.close();
    },
  };
}

describe('smgw-tls split across processes', () => {
  it('bootstraps each side on its own nodes and measures automation from the HES issue at TNs that never see the HES', async () => {
    const bench = splitBench();
    const [hes, tns] = await bench.clock.drive(Promise.all([bench.hesSide.bootstrap(), bench.tnSide.bootstrap()]));
    expect(tns).toMatchObject({ enrolled: 6, failed: [] });
    expect(hes).toMatchObject({ enrolled: 0, failed: [] });
    expect(() => bench.tnSide.hes).toThrow(/does not run in this process/);
    expect(() => bench.hesSide.tn('tn1.001')).toThrow(/tn1\.001.*run by this process/);
    // bootstrap samples and handshakes come from the side that runs the TNs, once each
    expect(bench.recorder.select('bootstrap', { half: 'tns' })).toHaveLength(6);
    expect(bench.recorder.select('bootstrap', { half: 'hes' })).toHaveLength(0);

    await bench.clock.advance(10_000);
    const report = bench.hesSide.automation('dc1', { relay: 'on' });
    await bench.clock.advance(30_000);
    const samples = bench.latencies('dc1');
    expect(samples.map((s) => s.tn).sort()).toEqual(['tn1.001', 'tn1.002', 'tn1.003']);
    for (const s of samples) {
      expect(s.latency).toBeGreaterThan(10); // a PLC frame time at least, not the TN's own decryption
      expect(s.at - s.latency).toBeCloseTo(report.issuedAt, 6);
    }
    // a meter round driven by the HES side is answered by the TN side
    const round = await bench.clock.drive(bench.hesSide.meterRound(60_000));
    expect(round).toMatchObject({ responses: 6, missing: [] });
    await bench.close();
  });

  it('counts a command that waited for the channel from its issue, not from when the channel came up', async () => {
    const bench = splitBench();
    // issued before any channel is up: the HES keeps it until the TN's handshake is done
    const early = bench.hesSide.automation('dc2', { relay: 'off' });
    await bench.clock.drive(Promise.all([bench.hesSide.bootstrap(), bench.tnSide.bootstrap()]));
    await bench.clock.advance(30_000);
    const handshakeMs = Math.min(...bench.recorder.select('handshake', { dc: 'dc2' }).map((s) => s.fields.duration_ms as number));
    const samples = bench.latencies('dc2');
    expect(samples).toHaveLength(3);
    for (const s of samples) {
      // the command rides with the HES's last handshake flight at the earliest
      expect(s.latency).toBeGreaterThanOrEqual(handshakeMs);
      expect(s.at - s.latency).toBeCloseTo(early.issuedAt, 6);
    }
    await bench.close();
  });

  it('counts a retransmitted command from its issue on a lossy segment', async () => {
    // no link-layer retries: a lost frame is the transport's to send again
    const bench = splitBench({ preset: 'g3-plc-cenelec-a', loss: { model: 'bernoulli', p: 0.15 }, retries: 0 });
    await bench.clock.drive(Promise.all([bench.hesSide.bootstrap(), bench.tnSide.bootstrap()]));
    const issued = new Map<number, number>();
    for (let i = 0; i < 6; i++) {
      issued.set(i + 1, bench.hesSide.automation('dc1', { relay: i % 2 ? 'off' : 'on' }).issuedAt);
      await bench.clock.advance(20_000);
    }
    await bench.clock.advance(120_000);
    const samples = bench.latencies('dc1');
    expect(samples).toHaveLength(6 * 3);
    for (const s of samples) expect(s.at - s.latency).toBeCloseTo(issued.get(s.counter)!, 6);
    // some record went again after a retransmission timeout (1 s at least, tcp-parameters.ts), and still counts from its issue
    expect(Math.max(...samples.map((s) => s.latency))).toBeGreaterThan(1_000);
    await bench.close();
  });
});
