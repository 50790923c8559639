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
import type { Operator } from '../../nodes/mode';
import { GoalOracle, topologyMembership, type ProtocolObserver } from '../../nodes/oracle/goal-oracle';
import { createPki, Pki, type PkiAuthority } from '../../nodes/smgw-tls/pki';
import type { TlsMode } from '../../nodes/smgw-tls/tls-mode';
import { peekClassName } from '../../nodes/protocol/message-class';

function splitBench(
  plc: ProfileSpec = { preset: 'g3-plc-cenelec-a' },
  operator?: (hesSide: TlsMode, authority: PkiAuthority) => Operator,
  observer?: ProtocolObserver,
) {
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
  const half = (label: string, local: (node: string) => boolean, extra: { pki?: Pki; operator?: Operator } = {}) =>
    createMode('smgw-tls', {
      clock,
      network,
      topology,
      random: random.fork(label),
      metrics: recorder.metrics(clock, { run: 'test', half: label }),
      plc: () => profile,
      local,
      ...(extra.operator ? { operator: extra.operator } : {}),
      ...(observer ? { observer } : {}),
      options: { pki: extra.pki ?? pki },
    });
  const hesSide = half('hes', (node) => topology.roleOf(node) !== 'tn');
  // with an operator, the TNs' side holds what a TN host holds: no root key, its TNs' credentials
  const tnSide = half(
    'tns',
    (node) => topology.roleOf(node) === 'tn',
    operator
      ? {
          pki: new Pki({
            curve: pki.curve,
            organization: pki.organization,
            rootPem: pki.rootPem,
            hesId: pki.hesId,
            manufacturerPublicKey: pki.manufacturerPublicKey,
            tns: topology.tns.map((tn) => pki.tn(tn)),
          }),
          operator: operator(hesSide, pki),
        }
      : {},
  );
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
    // ten commands to three TNs: at 15 % loss some command frame is lost (all 30 arrive 0.8 % of the time)
    for (let i = 0; i < 10; i++) {
      issued.set(i + 1, bench.hesSide.automation('dc1', { relay: i % 2 ? 'off' : 'on' }).issuedAt);
      await bench.clock.advance(20_000);
    }
    await bench.clock.advance(120_000);
    const samples = bench.latencies('dc1');
    expect(samples).toHaveLength(10 * 3);
    for (const s of samples) expect(s.at - s.latency).toBeCloseTo(issued.get(s.counter)!, 6);
    // some record went again after a retransmission timeout (1 s at least, tcp-parameters.ts), and still counts from its issue
    expect(Math.max(...samples.map((s) => s.latency))).toBeGreaterThan(1_000);
    await bench.close();
  });

  it('replaces a TN whose HES and root are elsewhere: the operator issues the new unit its credential, the HES admits it', async () => {
    const issued: string[] = [];
    const bench = splitBench(undefined, (hesSide, authority) => ({
      issue: (node) => {
        issued.push(node);
        return Promise.resolve(authority.issue(node));
      },
      register: (node, certificate) => Promise.resolve(hesSide.admit(node, certificate)),
    }));
    await bench.clock.drive(Promise.all([bench.hesSide.bootstrap(), bench.tnSide.bootstrap()]));
    const tn = bench.tnSide as TlsMode;
    const old = tn.credentialOf('tn1.002').certPem;
    await bench.clock.drive(tn.replace('tn1.002'));
    expect(issued).toEqual(['tn1.002']);
    expect(tn.credentialOf('tn1.002').certPem).not.toBe(old);
    expect((bench.hesSide as TlsMode).hes.isAccepted('tn1.002')).toBe(true);
    // the new unit is in service: a meter round from the HES's side reaches it
    expect(await bench.clock.drive(bench.hesSide.meterRound(60_000))).toMatchObject({ responses: 6, missing: [] });
    await bench.close();
  });

  it("judges what the old unit accepts while the operator registers the new one as the old unit's", async () => {
    // a distributed bench registers the new unit at the HES's host: the old unit serves meanwhile
    const oracle = new GoalOracle(topologyMembership(Topology.build(2, 3)));
    let clock: VirtualClock | undefined;
    const bench = splitBench(
      undefined,
      (hesSide, authority) => ({
        issue: (node) => Promise.resolve(authority.issue(node)),
        register: async (node, certificate) => {
          await clock!.sleep(2_000);
          hesSide.admit(node, certificate);
        },
      }),
      oracle,
    );
    clock = bench.clock;
    await bench.clock.drive(Promise.all([bench.hesSide.bootstrap(), bench.tnSide.bootstrap()]));
    const accepted = () => bench.recorder.select('frame_accepted', { tn: 'tn1.002', class: 'confidential' }).length;
    const before = accepted();
    // a confidential message on its way to tn1.002 when its replacement starts: the old unit takes it
    bench.hesSide.confidential('tn1.002', new Uint8Array([1, 2, 3]));
    await bench.clock.drive((bench.tnSide as TlsMode).replace('tn1.002'));
    expect(accepted()).toBe(before + 1);
    expect(oracle.violations).toEqual([]);
    // and the new unit is judged as new: the HES's next message is its own
    bench.hesSide.confidential('tn1.002', new Uint8Array([4, 5, 6]));
    await bench.clock.advance(30_000);
    expect(accepted()).toBe(before + 2);
    expect(oracle.violations).toEqual([]);
    await bench.close();
  });

  it("refuses a replacement credential that is not from the run's root, naming it, and one with no root and no operator", async () => {
    const other = createPki({ hes: 'hes', tns: ['tn1.001'] });
    const bench = splitBench(undefined, (hesSide) => ({
      issue: (node) => Promise.resolve(other.issue(node)),
      register: (node, certificate) => Promise.resolve(hesSide.admit(node, certificate)),
    }));
    await bench.clock.drive(Promise.all([bench.hesSide.bootstrap(), bench.tnSide.bootstrap()]));
    await expect(bench.clock.drive(bench.tnSide.replace('tn1.001'))).rejects.toThrow(
      /credential the operator issued for tn1\.001's new unit \(certificate\): not issued by the run's root/,
    );
    await bench.close();
    const plain = splitBench();
    await expect(plain.tnSide.replace('tn1.001')).rejects.toThrow(/needs tn1\.001 and the HES in this process/);
    await plain.close();
  });
});
