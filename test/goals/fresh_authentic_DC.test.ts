/**
 * fresh_authentic_DC: a TN accepts an automation command only if its own DC sent it, and only
 * once. Every attack below runs on the emulated wire; the goal oracle counts what TNs accepted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signFrame } from '../../nodes/lean/frame-builders';
import { MessageClass } from '../../nodes/protocol/message-class';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { GOAL_BACKENDS, heldAutomation, leanBench, type LeanBench } from './lean-bench';

const RELAY_OFFSET = 14; // [ver][cls][3 "dc1"][3 "dc1"][counter u32] -> relay byte

describe.each(GOAL_BACKENDS)('fresh_authentic_DC (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto });
  });
  afterEach(() => b.close());

  const accepted = () => b.recorder.select('automation_latency').length;
  const relays = (dc: string) => b.topology.tnsOf(dc).map((tn) => b.mode.tns.get(tn)!.relayState);

  async function honestCommandStillWorks(): Promise<void> {
    const before = accepted();
    b.mode.automation('dc1', { relay: 'off' });
    await b.wait();
    expect(accepted() - before).toBe(3);
    expect(relays('dc1')).toEqual([false, false, false]);
    expect(b.oracle.violationsOf('fresh_authentic_DC')).toBe(0);
  }

  it('refuses a command the attacker signs with a key of its own', async () => {
    const forged = signFrame(
      { cls: MessageClass.Automation, dc: 'dc1', group: 'dc1', counter: 1_000, relay: 1 },
      b.attacker.keys.sign.secretKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', SEGMENT_BROADCAST, forged.frame);
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(3);
    expect(relays('dc1')).toEqual([undefined, undefined, undefined]);
    await honestCommandStillWorks();
  });

  it('refuses a genuine command replayed on the same segment', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    expect(accepted()).toBe(3);
    b.attacker.replay(recording.frames[0]!);
    b.attacker.replay(recording.frames[0]!);
    await b.wait();
    expect(b.rejected('stale-counter', 'tn')).toBe(6);
    expect(accepted()).toBe(3);
    await honestCommandStillWorks();
  });

  it("refuses a genuine command of one DC replayed onto another DC's segment", async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    b.attacker.replay(recording.frames[0]!, { from: 'dc2', to: SEGMENT_BROADCAST });
    await b.wait();
    expect(b.rejected('wrong-sender', 'tn')).toBe(3);
    expect(relays('dc2')).toEqual([undefined, undefined, undefined]);
    await honestCommandStillWorks();
  });

  it('refuses a command whose relay bit was flipped in flight', async () => {
    const stop = b.attacker.intercept({ link: 'plc:dc1', class: 'automation' }, (frame, ctx) => {
      const bytes = frame.bytes.slice();
      bytes[RELAY_OFFSET]! ^= 1;
      ctx.tamper(frame, bytes);
    });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(3);
    expect(relays('dc1')).toEqual([undefined, undefined, undefined]);
    stop();
    await honestCommandStillWorks();
  });

  it('refuses an older command delivered after a newer one (reordering)', async () => {
    const [older, newer] = await heldAutomation(b, 'on', 'off');
    b.attacker.replay(newer!);
    await b.wait();
    b.attacker.replay(older!);
    await b.wait();
    expect(accepted()).toBe(3);
    expect(b.rejected('stale-counter', 'tn')).toBe(3);
    expect(relays('dc1')).toEqual([false, false, false]);
    expect(b.oracle.violationsOf('fresh_authentic_DC')).toBe(0);
  });

  it("refuses commands made with a compromised neighbouring DC's key", async () => {
    const dc2 = b.attacker.compromise('dc2');
    const claimingDc1 = signFrame(
      { cls: MessageClass.Automation, dc: 'dc1', group: 'dc1', counter: 5_000, relay: 1 },
      dc2.sign.secretKey,
      b.attacker.crypto,
    );
    const asDc2ForDc1 = signFrame(
      { cls: MessageClass.Automation, dc: 'dc2', group: 'dc1', counter: 5_000, relay: 1 },
      dc2.sign.secretKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', SEGMENT_BROADCAST, claimingDc1.frame);
    b.attacker.inject('dc1', SEGMENT_BROADCAST, asDc2ForDc1.frame);
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(3);
    expect(b.rejected('wrong-sender', 'tn')).toBe(3);
    expect(relays('dc1')).toEqual([undefined, undefined, undefined]);
    await honestCommandStillWorks();
  });

  it("refuses commands signed with a compromised TN's key", async () => {
    const tn = b.attacker.compromise('tn1.002');
    const forged = signFrame(
      { cls: MessageClass.Automation, dc: 'dc1', group: 'dc1', counter: 7_000, relay: 1 },
      tn.sign.secretKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', SEGMENT_BROADCAST, forged.frame);
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(3);
    await honestCommandStillWorks();
  });

  it('a replacement TN refuses a command its DC sent before the new unit enrolled', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    await b.clock.drive(b.mode.replace('tn1.001'));
    b.attacker.replay(recording.frames[0]!, { from: 'dc1', to: 'tn1.001' });
    await b.wait();
    expect(b.rejected('stale-counter', 'tn')).toBe(1);
    expect(b.mode.tns.get('tn1.001')!.relayState).toBeUndefined();
    await honestCommandStillWorks();
  });

  it("after a DC is replaced, its TNs follow the new unit and refuse the old unit's key", async () => {
    const oldUnit = b.attacker.compromise('dc1'); // the failed unit's keys, e.g. recovered from the scrap
    b.mode.automation('dc1', { relay: 'on' });
    b.mode.automation('dc1', { relay: 'off' });
    await b.wait();
    await b.clock.drive(b.mode.replace('dc1'));
    const forged = signFrame(
      { cls: MessageClass.Automation, dc: 'dc1', group: 'dc1', counter: 3, relay: 1 },
      oldUnit.sign.secretKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', SEGMENT_BROADCAST, forged.frame);
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(3);
    // the new unit counts from 1 again, and its TNs were anchored to it at re-enrolment
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    expect(relays('dc1')).toEqual([true, true, true]);
    expect(b.oracle.violationsOf('fresh_authentic_DC')).toBe(0);
  });

  it('refuses a HES-signed meter request relabelled as an automation command (it does not name the DC)', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
    await b.clock.drive(b.mode.meterRound(30_000));
    const relabelled = recording.frames[0]!.bytes.slice();
    relabelled[1] = MessageClass.Automation;
    b.attacker.inject('dc1', SEGMENT_BROADCAST, relabelled);
    await b.wait();
    // it parses as a command "from hes" for group "*": the signature is the HES's, the sender is not the DC
    expect(b.rejected('wrong-sender', 'tn')).toBe(3);
    expect(relays('dc1')).toEqual([undefined, undefined, undefined]);
    await honestCommandStillWorks();
  });
});
