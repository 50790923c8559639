/**
 * The goal oracle's former blind spots (issue 11, item 6), each shown with a deliberately broken
 * node on the emulated wire: the oracle counts what the broken node does, and counts nothing when
 * the node is the real one.
 *   - confidentiality is judged: a confidential message sealed so that someone other than its
 *     recipient can read it is a violation, even if nobody reads it;
 *   - in smgw-tls, a confidential message accepted by a TN the HES did not send it to;
 *   - a replacement unit accepting a command sent before it took the node's place.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GoalOracle, topologyMembership } from '../../nodes/oracle/goal-oracle';
import { fromHex, toHex } from '../../core/bytes';
import { Topology } from '../../core/topology';
import { heldAutomation, leanBench, replayToBrokenTn, type LeanBench } from '../goals/lean-bench';
import { tlsBench } from '../smgw-tls/harness';

const text = (s: string) => new TextEncoder().encode(s);

/**
 * The HES's registrations, of a HES broken to use them as they are: it no longer withdraws one
 * whose keys the allow-list does not hold (nodes/lean/hes.ts registrationOf), so a key planted
 * in them is used.
 */
function brokenRegistrations(b: LeanBench): Map<string, { encKey: string }> {
  const hes = b.mode.hes as unknown as { tns: Map<string, { encKey: string }>; registrationOf: (tn: string) => unknown };
  hes.registrationOf = (tn) => hes.tns.get(tn);
  return hes.tns;
}

describe('the goal oracle judges what it used to miss', () => {
  let b: LeanBench | undefined;
  afterEach(async () => {
    await b?.close();
    b = undefined;
  });

  it('counts a confidential message sealed to a key other than its recipient’s (lean), read or not', async () => {
    b = await leanBench();
    // honest traffic first: meter readings and a confidential message, judged and clean
    await b.clock.drive(b.mode.meterRound(60_000));
    b.mode.confidential('tn1.001', text('prepaid balance 12.50 EUR'));
    await b.wait(10_000);
    expect(b.oracle.violations).toEqual([]);
    // the broken HES holds tn1.002's key for tn1.001 (and no longer checks it against its allow-list)
    const registrations = brokenRegistrations(b);
    registrations.get('tn1.001')!.encKey = toHex(b.mode.keysOf('tn1.002').enc.publicKey);
    b.mode.confidential('tn1.001', text('tariff change at 22:00'));
    await b.wait(10_000);
    expect(b.oracle.violations.map((v) => [v.goal, v.node, v.detail])).toEqual([
      ['secure_HES_TN', 'tn1.001', 'Confidential for tn1.001 is readable by tn1.002'],
    ]);
    expect(fromHex(registrations.get('tn1.001')!.encKey)).toEqual(b.mode.keysOf('tn1.002').enc.publicKey);
  });

  it('counts a message sealed to a replaced unit’s key: the old unit may be in anyone’s hands', async () => {
    b = await leanBench();
    const registrations = brokenRegistrations(b);
    const oldKey = registrations.get('tn1.003')!.encKey;
    await b.clock.drive(b.mode.replace('tn1.003'));
    b.mode.confidential('tn1.003', text('new unit, new key'));
    await b.wait(10_000);
    expect(b.oracle.violations).toEqual([]);
    // the broken HES goes back to the old unit's registration
    registrations.get('tn1.003')!.encKey = oldKey;
    b.mode.confidential('tn1.003', text('sealed to the old unit'));
    await b.wait(10_000);
    expect(b.oracle.violations.map((v) => v.detail)).toEqual([
      "Confidential for tn1.003 is readable by tn1.003's replaced unit (generation 0)",
    ]);
  });

  it('counts a replacement unit that accepts a command sent before it took the node’s place', async () => {
    b = await leanBench();
    const [held] = await heldAutomation(b, 'off');
    await b.clock.drive(b.mode.replace('tn1.001'));
    // the real new unit starts at the DC's counter: the held command is stale. A broken new unit
    // whose counters start at zero takes it; the command is genuine and its counter above every
    // one the old unit accepted, but it was sent before this unit existed
    const violations = await replayToBrokenTn(b, held!);
    expect(violations.map((v) => [v.goal, v.detail])).toEqual([
      ['fresh_authentic_DC', "tn1.001, a replacement unit, accepted Automation #1 sent before it took the node's place"],
    ]);
  });

  it('counts a confidential message accepted by a TN the smgw-tls HES did not send it to', async () => {
    const oracle = new GoalOracle(topologyMembership(Topology.build(1, 3)));
    const observed = tlsBench({ dcs: 1, tns: 3, plc: 'pass-through', setup: { observer: oracle } });
    await observed.clock.drive(observed.mode.bootstrap());
    observed.mode.confidential('tn1.001', text('for tn1.001'));
    await observed.clock.advance(10_000);
    expect(oracle.violations).toEqual([]);
    // the broken HES writes tn1.001's messages down tn1.002's channel
    const states = (observed.mode.hes as unknown as { tns: Map<string, { channel: unknown }> }).tns;
    states.get('tn1.001')!.channel = states.get('tn1.002')!.channel;
    observed.mode.confidential('tn1.001', text('for tn1.001 again'));
    await observed.clock.advance(10_000);
    expect(oracle.violations.map((v) => [v.goal, v.node, v.detail])).toEqual([
      ['secure_HES_TN', 'tn1.002', 'tn1.002 accepted Confidential #2 the sender meant for tn1.001'],
    ]);
    await observed.close();
  });
});
