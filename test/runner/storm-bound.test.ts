/**
 * A storm whose bound was not computed (bound_s 0: none of its handshakes completed in full, so the
 * tracker had no S for N * S * 8 / R) is shown as such in the summary table, the report's data, the
 * dashboard event and the storm_bound_ratio threshold: never as a bound of 0 or a ratio of Infinity.
 */
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../core/metrics';
import { eventOf } from '../../bench/runner/run-events';
import { summarizeMode } from '../../bench/runner/summary';
import { stormsCell } from '../../bench/runner/summary-table';
import { evaluateThresholds, parseThresholds } from '../../bench/thresholds';

const storm = (durationS: number, boundS: number): Sample => ({
  measurement: 'storm',
  fields: { tns: 20, duration_s: durationS, bound_s: boundS, bytes: 40_000 },
  tags: { segment: 'dc1', dc: 'dc1', reason: 'reconnect', mode: 'smgw-tls' },
  time: 100_000,
});

function stormsOf(samples: readonly Sample[]) {
  return summarizeMode(samples, {
    mode: 'smgw-tls',
    bootstrap: { enrolled: 0, failed: [], durationMs: 0 },
    commands: 0,
    addressed: 0,
    commandBytes: [],
    firmwareRollouts: 0,
  }).storms;
}

describe('a storm whose bound was not computed', () => {
  it('is listed as "not computed" in the summary, with its bound null in summary.json', () => {
    const storms = stormsOf([storm(8.66, 7.4), storm(11.04, 0)]);
    expect(storms.map((s) => s.boundS)).toEqual([7.4, null]);
    expect(stormsCell(storms)).toBe('8.66 / 7.40, 11.04 / not computed');
  });

  it('is left out of the worst ratio of many storms, and counted', () => {
    const storms = stormsOf([storm(8, 7.4), storm(9, 7.4), storm(20, 0), storm(12, 8), storm(30, 0)]);
    const cell = stormsCell(storms);
    expect(cell).toBe('5 storms, worst 12 / 8 (1.50 x), 2 with no bound computed');
    expect(cell).not.toMatch(/Infinity|\/ 0\b/);
    expect(stormsCell(stormsOf([storm(20, 0), storm(3, 0), storm(4, 0), storm(5, 0)]))).toBe('4 storms, none with a bound computed');
  });

  it('gives storm_bound_ratio no value (not Infinity) and its dashboard event says the bound was not computed', () => {
    const [ratio] = evaluateThresholds(parseThresholds({ 'storm_bound_ratio{mode:smgw-tls}': ['max<1.5'] }), [storm(8, 7.4), storm(30, 0)]);
    expect([ratio!.actual, ratio!.ok]).toEqual([8 / 7.4, true]);
    expect(String(eventOf(storm(11.04, 0))!.fields.text)).toMatch(/re-handshook in 11\.0 s, bound not computed$/);
    expect(String(eventOf(storm(8.66, 7.4))!.fields.text)).toMatch(/bound 7\.4 s$/);
  });
});
