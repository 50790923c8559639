/**
 * fresh_authentic_HES: a TN accepts a HES multicast (a meter request) only if the HES sent it,
 * and only once. Attacks on the emulated wire; the goal oracle counts acceptances.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signFrame } from '../../nodes/lean/frame-builders';
import { ALL_TNS } from '../../nodes/protocol/frame-fields';
import { MessageClass } from '../../nodes/protocol/message-class';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

const COUNTER_OFFSET = 2 + 4 + 2; // [ver][cls][3 "hes"][1 "*"] -> counter u32

describe.each(GOAL_BACKENDS)('fresh_authentic_HES (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto });
  });
  afterEach(() => b.close());

  const acceptedRequests = () => b.recorder.select('frame_accepted', { role: 'tn', class: 'meter-request' }).length;

  async function honestRoundStillWorks(): Promise<void> {
    const round = await b.clock.drive(b.mode.meterRound(30_000));
    expect(round.responses).toBe(6);
    expect(b.oracle.violationsOf('fresh_authentic_HES')).toBe(0);
  }

  it("refuses a meter request signed with the attacker's own key", async () => {
    const forged = signFrame(
      { cls: MessageClass.MeterRequest, hes: 'hes', group: ALL_TNS, counter: 9_999, request: 0 },
      b.attacker.keys.sign.secretKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', SEGMENT_BROADCAST, forged.frame);
    b.attacker.inject('hes', 'dc2', forged.frame); // on the WAN: dc2 relays it to its TNs
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(6);
    expect(acceptedRequests()).toBe(0);
    await honestRoundStillWorks();
  });

  it('refuses a replayed meter request, on its own segment and on another', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
    await honestRoundStillWorks();
    b.attacker.replay(recording.frames[0]!);
    b.attacker.replay(recording.frames[0]!, { from: 'dc2', to: SEGMENT_BROADCAST });
    await b.wait();
    expect(b.rejected('stale-counter', 'tn')).toBe(6);
    expect(acceptedRequests()).toBe(6);
    await honestRoundStillWorks();
  });

  it('refuses a meter request whose counter was raised in flight', async () => {
    const stop = b.attacker.intercept({ link: 'plc:dc1', class: 'meter-request' }, (frame, ctx) => {
      const bytes = frame.bytes.slice();
      bytes[COUNTER_OFFSET + 3]! += 100;
      ctx.tamper(frame, bytes);
    });
    const round = await b.clock.drive(b.mode.meterRound(10_000));
    expect(round.missing).toEqual(['tn1.001', 'tn1.002', 'tn1.003']);
    expect(b.rejected('bad-signature', 'tn')).toBe(3);
    stop();
    await honestRoundStillWorks();
  });

  it('refuses an older request delivered after a newer one (reordering)', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
    const unblock = b.attacker.block({ link: 'plc:dc1', class: 'meter-request' });
    await b.clock.drive(b.mode.meterRound(5_000));
    await b.clock.drive(b.mode.meterRound(5_000));
    unblock();
    const [older, newer] = recording.frames;
    b.attacker.replay(newer!);
    await b.wait();
    b.attacker.replay(older!);
    await b.wait();
    expect(acceptedRequests()).toBe(3 + 3 + 3); // dc2's TNs took both rounds, dc1's only the newer
    expect(b.rejected('stale-counter', 'tn')).toBe(3);
    expect(b.oracle.violationsOf('fresh_authentic_HES')).toBe(0);
  });

  it("refuses requests forged with a compromised DC's or TN's key", async () => {
    for (const node of ['dc1', 'tn1.002']) {
      const keys = b.attacker.compromise(node);
      const forged = signFrame(
        { cls: MessageClass.MeterRequest, hes: 'hes', group: ALL_TNS, counter: 50_000, request: 0 },
        keys.sign.secretKey,
        b.attacker.crypto,
      );
      b.attacker.inject('dc1', SEGMENT_BROADCAST, forged.frame);
    }
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(6);
    await honestRoundStillWorks();
  });

  it('a replacement TN refuses a request the HES sent before the new unit enrolled', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
    await honestRoundStillWorks();
    await b.clock.drive(b.mode.replace('tn1.002'));
    b.attacker.replay(recording.frames[0]!, { from: 'dc1', to: 'tn1.002' });
    await b.wait();
    expect(b.rejected('stale-counter', 'tn')).toBe(1);
    await honestRoundStillWorks();
  });

  it('refuses a DC automation command relabelled as a meter request (it does not name the HES)', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    const relabelled = recording.frames[0]!.bytes.slice();
    relabelled[1] = MessageClass.MeterRequest;
    b.attacker.inject('dc1', SEGMENT_BROADCAST, relabelled);
    await b.wait();
    expect(b.rejected('wrong-sender', 'tn')).toBe(3);
    expect(acceptedRequests()).toBe(0);
    await honestRoundStillWorks();
  });
});
