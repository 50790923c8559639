import { describe, expect, it } from 'vitest';
import { ALL, durationText, expandQuery, grafanaInterval, roundInterval, type VariableState } from '../../dashboards/grafana-macros';

const range = { from: 1_700_000_000_000, to: 1_700_000_600_000 };
const single = (value: string): VariableState => ({ value, multi: false, includeAll: false, options: [value] });
const multi = (value: string | string[], allValue?: string, options: string[] = []): VariableState => ({
  value,
  multi: true,
  includeAll: true,
  ...(allValue !== undefined ? { allValue } : {}),
  options,
});

describe('Grafana macro expansion for InfluxQL', () => {
  it('expands $timeFilter, $__interval and friends as Grafana sends them', () => {
    const q = 'SELECT mean("x") FROM "m" WHERE $timeFilter GROUP BY time($__interval) -- $__interval_ms $__from $__to $__range';
    expect(expandQuery(q, { range, intervalMs: 500, variables: {} })).toBe(
      'SELECT mean("x") FROM "m" WHERE time >= 1700000000000ms and time <= 1700000600000ms GROUP BY time(500ms) -- 500 1700000000000 1700000600000 10m',
    );
  });

  it('computes $__interval like Grafana: range over data points, rounded, not below the minimum', () => {
    expect(grafanaInterval(range, 1000, 1000)).toBe(1000); // 600 ms raw -> 500 ms -> min 1 s
    expect(grafanaInterval(range, 100, 1000)).toBe(5000); // 6 s -> 5 s
    expect(grafanaInterval({ from: 0, to: 86_400_000 }, 1000, 1000)).toBe(60_000); // 86.4 s -> 1 m
    expect([roundInterval(12), roundInterval(800), roundInterval(40_000)]).toEqual([10, 1000, 30_000]);
    expect([durationText(200), durationText(1000), durationText(120_000), durationText(3_600_000), durationText(1500)]).toEqual([
      '200ms',
      '1s',
      '2m',
      '1h',
      '1500ms',
    ]);
  });

  it('formats multi-value, All and single variables as the InfluxDB data source does', () => {
    const q = `"mode" =~ /^$mode$/ AND "segment" =~ /^\${segment}$/ AND "run" =~ /^[[run]]$/ AND "tn" = '$tn'`;
    const variables = {
      mode: multi(['lean', 'smgw-tls']),
      segment: multi(ALL, '.*'),
      run: single('default-2025.1'),
      tn: single('tn1.001'),
    };
    expect(expandQuery(q, { range, intervalMs: 1000, variables })).toBe(
      `"mode" =~ /^(lean|smgw-tls)$/ AND "segment" =~ /^.*$/ AND "run" =~ /^default-2025\\.1$/ AND "tn" = 'tn1.001'`,
    );
    // All without a custom all value: every option, escaped, as an alternation
    expect(expandQuery('/^$segment$/', { range, intervalMs: 1000, variables: { segment: multi([ALL], undefined, ['dc1', 'dc/2']) } })).toBe(
      '/^(dc1|dc\\/2)$/',
    );
    // unknown variables stay as written
    expect(expandQuery('$nope', { range, intervalMs: 1000, variables: {} })).toBe('$nope');
  });
});
