/**
 * smgw-tls reports to the goal oracle (nodes/oracle/goal-oracle.ts) as lean mode does, so a
 * campaign's "accepted" counts in smgw-tls are judged, not zero by construction: honest traffic
 * gives acceptances and no violation; an application message accepted twice or out of order is
 * a violation the oracle counts (shown with a TN that has its counter checks planted out), and the
 * real TN refuses it; acceptances carry the attack label of the frames that brought them.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createScenarioMode } from '../../bench/runner/mode-factory';
import { parseScenario } from '../../bench/scenario/load';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import { GoalOracle, MANUFACTURER_ID, topologyMembership, type Acceptance, type ProtocolObserver } from '../../nodes/oracle/goal-oracle';
import { ALL_TNS } from '../../nodes/protocol/frame-fields';
import { MessageClass } from '../../nodes/protocol/message-class';
import type { AppMessage } from '../../nodes/smgw-tls/app-message';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import type { TlsModeOptions } from '../../nodes/smgw-tls/tls-mode';
import { attackerOn, refusals, tlsBench, type PlcPreset } from '../smgw-tls/harness';
import { peekClassName } from '../../nodes/protocol/message-class';

const DCS = 2;
const TNS = 3;

/** A bench whose nodes report to a goal oracle on its topology; every report is kept too. */
function oracleBench(options: { plc?: PlcPreset; mode?: TlsModeOptions } = {}) {
  const oracle = new GoalOracle(topologyMembership(Topology.build(DCS, TNS)));
  const accepted: Acceptance[] = [];
  const sent: Array<{ sender: string; bytes: Uint8Array }> = [];
  const observer: ProtocolObserver = {
    issued: (c) => oracle.issued(c),
    sent: (sender, bytes) => {
      sent.push({ sender, bytes });
      oracle.sent(sender, bytes);
    },
    accepted: (a) => {
      accepted.push(a);
      oracle.accepted(a);
    },
    replaced: (n) => oracle.replaced(n),
  };
  const bench = tlsBench({ dcs: DCS, tns: TNS, plc: options.plc ?? 'pass-through', mode: options.mode ?? {}, setup: { observer } });
  const of = (cls: MessageClass, node?: string) => accepted.filter((a) => a.cls === cls && (node === undefined || a.node === node));
  return { bench, oracle, accepted, sent, of };
}

/** Messages for one TN: each stream's counter given twice, and an automation counter out of order. */
const REPEATED: readonly AppMessage[] = [
  { type: 'automation', counter: 1, relay: 'on' },
  { type: 'automation', counter: 1, relay: 'on' },
  { type: 'automation', counter: 3, relay: 'off' },
  { type: 'automation', counter: 2, relay: 'on' },
  { type: 'meter-request', round: 7 },
  { type: 'meter-request', round: 7 },
  { type: 'confidential', counter: 4, payload: new Uint8Array([1, 2, 3]) },
  { type: 'confidential', counter: 4, payload: new Uint8Array([1, 2, 3]) },
];

const spki = (pem: string) => new Uint8Array(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }));

describe('smgw-tls reports to the goal oracle', () => {
  it('honest traffic on a lossy segment, through a renegotiation and a power restoration: acceptances, no violation', async () => {
    const { bench, oracle, of } = oracleBench({ plc: 'g3-plc-cenelec-a' });
    // No MAC retries: the streams repair the losses, so transport duplicates reach both ends.
    bench.network.control.setProfile('plc:dc1', { preset: 'g3-plc-cenelec-a', loss: { model: 'bernoulli', p: 0.05 }, retries: 0 });
    const tns = bench.topology.tns;
    expect((await bench.clock.drive(bench.mode.bootstrap())).enrolled).toBe(tns.length);
    expect((await bench.clock.drive(bench.mode.meterRound(300_000))).missing).toEqual([]);
    bench.mode.automation('dc1', { relay: 'on' });
    bench.mode.automation('dc2', { relay: 'on' });
    bench.mode.confidential('tn1.002', new TextEncoder().encode('prepaid balance 12.50 EUR'));
    await bench.clock.advance(60_000);
    expect((await bench.clock.drive(bench.mode.firmware({ version: 2, image: new Uint8Array(4_096).fill(7) }, 900_000))).missing).toEqual(
      [],
    );
    await bench.clock.drive(bench.mode.renegotiateAll('dc1', 'age'));
    await bench.clock.drive(bench.mode.powerRestored('dc1'));
    // The same again on the new channels: the counters go on rising under the same keys.
    bench.mode.automation('dc1', { relay: 'off' });
    bench.mode.confidential('tn1.002', new TextEncoder().encode('prepaid balance 12.50 EUR')); // the same text: a new message
    expect((await bench.clock.drive(bench.mode.meterRound(300_000))).missing).toEqual([]);
    expect((await bench.clock.drive(bench.mode.firmware({ version: 3, image: new Uint8Array(4_096).fill(8) }, 900_000))).missing).toEqual(
      [],
    );
    await bench.clock.advance(60_000);

    expect(oracle.violations).toEqual([]);
    const n = tns.length;
    const dc1 = bench.topology.tnsOf('dc1').length;
    expect(oracle.tally('fresh_authentic_DC')).toEqual({ accepted: 2 * dc1 + (n - dc1), violations: 0 });
    expect(oracle.tally('fresh_authentic_HES')).toEqual({ accepted: 2 * n, violations: 0 });
    expect(oracle.tally('secure_TN_HES')).toEqual({ accepted: 2 * n, violations: 0 });
    expect(oracle.tally('secure_HES_TN')).toEqual({ accepted: 2, violations: 0 });
    expect(oracle.tally('fresh_authentic_FW')).toEqual({ accepted: 2 * n, violations: 0 });

    // What they report: the application counters, the channel's authenticated peer key.
    const hesKey = spki(bench.mode.pki.hesCredential().certPem);
    expect(of(MessageClass.Automation, 'tn1.001')).toMatchObject([
      { sender: 'hes', recipient: 'tn1.001', counter: 1 },
      { sender: 'hes', recipient: 'tn1.001', counter: 2 },
    ]);
    expect(of(MessageClass.Automation, 'tn2.001').map((a) => a.counter)).toEqual([1]);
    expect(of(MessageClass.MeterRequest, 'tn1.003').map((a) => a.counter)).toEqual([1, 2]);
    expect(of(MessageClass.Confidential).map((a) => [a.node, a.counter])).toEqual([
      ['tn1.002', 1],
      ['tn1.002', 2],
    ]);
    for (const a of [...of(MessageClass.Automation), ...of(MessageClass.MeterRequest), ...of(MessageClass.Confidential)])
      expect(a.signerKey).toEqual(hesKey);
    const responses = of(MessageClass.MeterResponse, 'hes');
    expect(responses).toHaveLength(2 * n);
    for (const r of responses) {
      expect(r).toMatchObject({ recipient: 'hes' });
      expect(r.signerKey).toEqual(spki(bench.mode.pki.tn(r.sender).certPem));
    }
    expect(of(MessageClass.FirmwareManifest, 'tn2.003')).toMatchObject([
      { sender: MANUFACTURER_ID, recipient: ALL_TNS, counter: 2 },
      { sender: MANUFACTURER_ID, recipient: ALL_TNS, counter: 3 },
    ]);
    const reasons = bench.mode.handshakes().map((h) => h.reason);
    expect(reasons.filter((r) => r === 'age')).toHaveLength(dc1);
    expect(reasons.filter((r) => r === 'power-restored')).toHaveLength(dc1);
    const plc = bench.network.control.stats().links['plc:dc1']!;
    expect(plc.up.dropsLoss + plc.down.dropsLoss).toBeGreaterThan(0);
    expect(bench.mode.stats().failedHandshakes).toBe(0);
    await bench.close();
  });

  it('counts an application message accepted twice or out of order when a TN skips its counter checks', async () => {
    const { bench, oracle, sent } = oracleBench({ mode: { skipCounterChecks: (tn) => tn === 'tn1.001' } });
    await bench.clock.drive(bench.mode.bootstrap());
    // The HES hands the same application messages to the channel twice: TLS carries both faithfully.
    for (const message of REPEATED) bench.mode.hes.send('tn1.001', message);
    await bench.clock.advance(10_000);
    // Every one of them is genuine: what the oracle flags is the acceptance, not the content.
    expect(sent.filter((s) => s.sender === 'hes')).toHaveLength(8);
    expect(oracle.violations.map((v) => [v.goal, v.node, v.detail])).toEqual([
      ['fresh_authentic_DC', 'tn1.001', 'tn1.001 accepted Automation #1 twice'],
      ['fresh_authentic_DC', 'tn1.001', 'tn1.001 accepted Automation #2 after #3 of the same stream'],
      ['fresh_authentic_HES', 'tn1.001', 'tn1.001 accepted MeterRequest #7 twice'],
      ['secure_HES_TN', 'tn1.001', 'tn1.001 accepted Confidential #4 twice'],
    ]);
    // The TN answered round 7 twice; the HES takes one answer, refuses the other, and the oracle
    // has nothing to flag there.
    expect(oracle.tally('secure_TN_HES')).toEqual({ accepted: 1, violations: 0 });
    expect(refusals(bench)).toEqual([{ role: 'hes', reason: 'duplicate-response', class: 'tls-record', tn: 'tn1.001' }]);
    await bench.close();
  });

  it('the real TN refuses the same messages as stale: one acceptance each, no violation', async () => {
    const { bench, oracle } = oracleBench();
    await bench.clock.drive(bench.mode.bootstrap());
    for (const message of REPEATED) bench.mode.hes.send('tn1.001', message);
    await bench.clock.advance(10_000);
    expect(oracle.violations).toEqual([]);
    expect(oracle.tally('fresh_authentic_DC')).toEqual({ accepted: 2, violations: 0 });
    expect(oracle.tally('fresh_authentic_HES')).toEqual({ accepted: 1, violations: 0 });
    expect(oracle.tally('secure_HES_TN')).toEqual({ accepted: 1, violations: 0 });
    expect(oracle.tally('secure_TN_HES')).toEqual({ accepted: 1, violations: 0 });
    expect(refusals(bench)).toEqual(Array(4).fill({ role: 'tn', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001' }));
    await bench.close();
  });

  it('an acceptance carries the attack label of the frames that brought it, at the TN and at the HES', async () => {
    const { bench, oracle, of } = oracleBench();
    await bench.clock.drive(bench.mode.bootstrap());
    const attacker = attackerOn(bench, 'delay:fresh_authentic_DC');
    // The attacker holds the frames to tn1.001 and from tn1.002 a little, then lets them through.
    const stops = [
      attacker.intercept({ link: 'plc:dc1', direction: 'down', to: 'tn1.001', class: 'tls-record' }, (frame, ctx) => {
        ctx.schedule(50, () => ctx.forward(frame));
      }),
      attacker.intercept({ link: 'plc:dc1', direction: 'up', from: 'tn1.002', class: 'tls-record' }, (frame, ctx) => {
        ctx.schedule(50, () => ctx.forward(frame));
      }),
    ];
    bench.mode.automation('dc1', { relay: 'on' });
    expect((await bench.clock.drive(bench.mode.meterRound(60_000))).missing).toEqual([]);
    for (const stop of stops) stop();
    bench.mode.automation('dc1', { relay: 'off' });
    await bench.clock.advance(10_000);
    const label = (a: Acceptance | undefined) => a?.attack;
    const commands = of(MessageClass.Automation);
    expect(label(commands.find((a) => a.node === 'tn1.001' && a.counter === 1))).toMatch(/^delay:fresh_authentic_DC:/);
    expect(label(commands.find((a) => a.node === 'tn1.002' && a.counter === 1))).toBeUndefined();
    // Once the attacker let go, nothing is labelled any more.
    expect(commands.filter((a) => a.counter === 2).map(label)).toEqual([undefined, undefined, undefined]);
    const responses = of(MessageClass.MeterResponse, 'hes');
    expect(label(responses.find((a) => a.sender === 'tn1.002'))).toMatch(/^delay:fresh_authentic_DC:/);
    expect(label(responses.find((a) => a.sender === 'tn1.001'))).toBeUndefined();
    // Held and let through, the genuine messages are still accepted once: no violation.
    expect(oracle.violations).toEqual([]);
    await bench.close();
  });

  it("is wired by the runner: smgw-tls built from a scenario reports to the run's oracle", async () => {
    const scenario = parseScenario(
      'name: oracle\nseed: 3\nmodes: [smgw-tls]\nduration: 10m\ntopology: { dcs: 1, tnsPerDc: 2 }\n',
      'oracle.yaml',
    );
    const clock = new VirtualClock();
    const topology = Topology.build(1, 2);
    const random = new Random(3);
    const network = createEmulatedNetwork({
      topology,
      clock,
      random: random.fork('channel'),
      classify: peekClassName,
      profileFor: () => ({ preset: 'pass-through' }),
    });
    const oracle = new GoalOracle(topologyMembership(topology));
    const metrics = new SampleRecorder().metrics(clock, { run: 'test' });
    const mode = createScenarioMode('smgw-tls', { scenario, topology, clock, network, metrics, random, boards: new Map(), oracle });
    await clock.drive(mode.bootstrap());
    mode.automation('dc1', { relay: 'on' });
    await clock.drive(mode.meterRound(60_000));
    await clock.advance(5_000);
    expect(oracle.tally('fresh_authentic_DC')).toEqual({ accepted: 2, violations: 0 });
    expect(oracle.tally('fresh_authentic_HES')).toEqual({ accepted: 2, violations: 0 });
    expect(oracle.tally('secure_TN_HES')).toEqual({ accepted: 2, violations: 0 });
    await mode.close();
    await network.close();
  });
});
