/**
 * Mutated genuine frames injected on every link at every node: message loops must refuse them
 * with a reason, never throw, never accept a violation, and keep serving honest traffic.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GOALS } from '../../nodes/oracle/goal-oracle';
import { Random } from '../../core/random';
import { mutate } from '../helpers/mutate';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

const FRAMES = 6_000;

describe.each(GOAL_BACKENDS)('message loops under mutated frames (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto, tnsPerDc: 2 });
  });
  afterEach(() => b.close());

  it(`refuse ${FRAMES} mutated frames without an exception or a violation, and keep working`, async () => {
    const genuine = b.attacker.record();
    await b.clock.drive(b.mode.meterRound(30_000));
    b.mode.automation('dc1', { relay: 'on' });
    b.mode.confidential('tn2.001', new TextEncoder().encode('x'));
    await b.clock.drive(b.mode.firmware({ version: 2, image: new Uint8Array(450).fill(3) }, 60_000));
    genuine.stop();
    const donors = genuine.frames.map((f) => f.bytes);
    const random = new Random('loop-fuzz');
    const rejectedBefore = b.recorder.select('frame_rejected').length;
    for (let i = 0; i < FRAMES; i++) {
      const original = genuine.frames[i % genuine.frames.length]!;
      b.attacker.replay({ ...original, bytes: mutate(original.bytes, random, donors) });
      if (i % 500 === 499) await b.wait(100);
    }
    await b.wait();
    expect(b.rejected('internal-error')).toBe(0);
    expect(b.recorder.select('frame_rejected').length - rejectedBefore).toBeGreaterThan(FRAMES * 0.9);
    for (const goal of GOALS) expect({ goal, violations: b.oracle.violationsOf(goal) }).toEqual({ goal, violations: 0 });
    const round = await b.clock.drive(b.mode.meterRound(30_000));
    expect(round.responses).toBe(4);
  });
});
