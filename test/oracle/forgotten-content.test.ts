/**
 * The goal oracle forgets old content (nodes/oracle/content-memory.ts, issue 13) without judging
 * any less: frames the attacker recorded and puts on the emulated wire again after the oracle
 * forgot their content are refused by the real nodes, and a violation of their goal when a broken
 * node takes them, as they were before it forgot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { heldAutomation, leanBench, replayToBrokenTn, type LeanBench } from '../goals/lean-bench';

/** A memory of 32 entries a generation: a meter round of six TNs fills one in about three rounds. */
const SMALL = { minGeneration: 32, perParty: 0 };
const LATELY = /that no genuine party sent lately/;

describe('the goal oracle judges content it forgot as it judged it before', () => {
  let b: LeanBench | undefined;
  afterEach(async () => {
    await b?.close();
    b = undefined;
  });

  /** Honest meter rounds until the oracle forgot what came before them; none of them is a violation. */
  async function honestRounds(bench: LeanBench, n = 8): Promise<void> {
    for (let i = 0; i < n; i++) expect((await bench.clock.drive(bench.mode.meterRound(30_000))).responses).toBe(6);
    expect(bench.oracle.violations).toEqual([]);
  }

  it('a replayed automation command: refused by the real TN, a fresh_authentic_DC violation at a TN whose counter went back', async () => {
    b = await leanBench({ memory: SMALL });
    const commands = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'off' });
    await b.wait(5_000);
    expect(b.oracle.tally('fresh_authentic_DC')).toEqual({ accepted: 3, violations: 0 });
    await honestRounds(b);
    // refused by the real TN; a broken TN whose counters start again at zero takes it
    const violations = await replayToBrokenTn(b, commands.frames[0]!);
    expect(violations.map((v) => [v.goal, v.node, v.detail])).toEqual([['fresh_authentic_DC', 'tn1.001', expect.stringMatching(LATELY)]]);
  });

  it('a command the attacker held back and lets through once the oracle forgot it is a violation even at the real TN', async () => {
    b = await leanBench({ memory: SMALL });
    const [held] = await heldAutomation(b, 'on');
    expect(b.oracle.tally('fresh_authentic_DC').accepted).toBe(0);
    await honestRounds(b);
    b.attacker.replay(held!);
    await b.wait(5_000);
    // its counter is above every one the TNs took: they take it, hours after the DC sent it
    expect(b.oracle.violations.map((v) => [v.goal, v.detail])).toEqual(
      ['tn1.001', 'tn1.002', 'tn1.003'].map((tn) => ['fresh_authentic_DC', expect.stringMatching(new RegExp(`^${tn} accepted .*lately`))]),
    );
  });

  it('a replayed meter response: refused by the real HES, a secure_TN_HES violation at a HES that keeps no answered rounds', async () => {
    b = await leanBench({ memory: SMALL });
    const responses = b.attacker.record({ link: 'wan:dc1', class: 'meter-response', from: 'dc1' });
    await honestRounds(b, 1);
    const first = responses.frames[0]!;
    await honestRounds(b);
    b.attacker.replay(first);
    await b.wait();
    expect(b.rejected('no-outstanding-request', 'hes')).toBe(1);
    expect(b.oracle.violations).toEqual([]);
    // the broken HES takes an answer for any round, answered or not
    const open = (b.mode.hes as unknown as { rounds: Map<number, unknown> }).rounds;
    open.get = () => ({ open: true, expected: { has: () => true }, answered: new Set(), readings: new Map(), finish: () => {} });
    b.attacker.replay(first);
    await b.wait();
    expect(b.oracle.violations.map((v) => [v.goal, v.node, v.detail])).toEqual([['secure_TN_HES', 'hes', expect.stringMatching(LATELY)]]);
  });
});
