/**
 * A meter round's repeated requests (nodes/lean/hes.ts, HesOptions.meterRetryMs): a broadcast on the
 * PLC is not acknowledged, so the HES multicasts the same signed request again while answers are
 * missing; the copies back off, doubling, so that a round whose answer is lost for good (the TN
 * refuses every copy as stale) does not cost a copy per TN every 10 s until its timeout.
 */
import { describe, expect, it } from 'vitest';
import { leanBench } from '../goals/lean-bench';

describe('a meter round’s repeated requests', () => {
  it('reach the TNs that missed the request, and back off while an answer stays lost', async () => {
    const b = await leanBench({ dcs: 1, tnsPerDc: 3 });
    try {
      const copies = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
      // no TN hears the first request; tn1.003's answers never reach the HES
      const deaf = b.attacker.block({ link: 'plc:dc1', class: 'meter-request' });
      b.attacker.block({ link: 'plc:dc1', class: 'meter-response', from: 'tn1.003' });
      const round = b.mode.meterRound(10 * 60_000);
      await b.wait(5_000);
      deaf();
      const report = await b.clock.drive(round);
      expect(report.responses).toBe(2);
      expect(report.missing).toEqual(['tn1.003']);
      // copies 10, 30, 70, 150 and 310 s after the first request (one every 10 s were 59)
      const [sample] = b.recorder.select('meter_round');
      expect(sample?.fields.retries).toBe(5);
      expect(copies.frames.length).toBe(6);
      // every TN took in the copy at 10 s and refused the four after it as stale
      expect(b.rejected('stale-counter', 'tn')).toBe(3 * 4);
      expect(b.oracle.violations).toEqual([]);
    } finally {
      await b.close();
    }
  });
});
