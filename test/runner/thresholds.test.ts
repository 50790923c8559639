import { describe, expect, it } from 'vitest';
import { evaluateThresholds, parseThresholds, ThresholdError } from '../../bench/thresholds';
import type { Sample } from '../../core/metrics';

const sample = (measurement: Sample['measurement'], fields: Sample['fields'], tags: Sample['tags'] = {}): Sample => ({
  measurement,
  fields,
  tags,
  time: 0,
});

const latencies = (mode: string, values: number[]) => values.map((ms) => sample('automation_latency', { latency_ms: ms }, { mode }));
const samples = [
  ...latencies(
    'lean',
    Array.from({ length: 100 }, (_, i) => i + 1),
  ),
  ...latencies('smgw-tls', [500, 1500, 2500]),
  sample('attack', { injected: 10, accepted: 0, rejected: 40 }, { goal: 'fresh_authentic_DC', mode: 'lean' }),
  sample('attack', { injected: 5, accepted: 1, rejected: 4 }, { goal: 'fresh_authentic_HES', mode: 'lean' }),
];

describe('thresholds (k6 form)', () => {
  // k6 percentiles (TrendSink.P): i = p/100 * (count - 1), interpolated between the values at
  // floor(i) and ceil(i). Over 1..100: p(99) has i = 98.01, 99 + 0.01 * (100 - 99) = 99.01;
  // p(50) has i = 49.5, 50.5. Over 500, 1500, 2500: p(99) has i = 1.98, 1500 + 0.98 * 1000 = 2480.
  it('aggregates trends over the samples whose tags match, with k6 percentiles', () => {
    const results = evaluateThresholds(
      parseThresholds({
        'automation_latency_ms{mode:lean}': ['p(99)<100', 'p(50)==50.5', 'avg<51', 'max<=100', 'min>=1', 'med<60', 'count==100'],
        'automation_latency_ms{mode:smgw-tls}': ['p(99)<2000'],
      }),
      samples,
    );
    expect(results.map((r) => [r.expression, r.actual, r.ok])).toEqual([
      ['p(99)<100', 99.01, true],
      ['p(50)==50.5', 50.5, true],
      ['avg<51', 50.5, true],
      ['max<=100', 100, true],
      ['min>=1', 1, true],
      ['med<60', 50.5, true],
      ['count==100', 100, true],
      ['p(99)<2000', 2480, false],
    ]);
  });

  it('sums counters, per goal or overall', () => {
    const results = evaluateThresholds(
      parseThresholds({
        attack_accepted: ['count==0'],
        'attack_accepted{goal:fresh_authentic_DC}': ['count==0'],
        attack_rejected: ['count>=44'],
      }),
      samples,
    );
    expect(results.map((r) => [r.key, r.actual, r.ok])).toEqual([
      ['attack_accepted', 1, false],
      ['attack_accepted{goal:fresh_authentic_DC}', 0, true],
      ['attack_rejected', 44, true],
    ]);
  });

  it('fails a rule on a metric without samples instead of letting silence pass, count==0 included', () => {
    const results = evaluateThresholds(
      parseThresholds({ 'automation_latency_ms{tn:tn9.999}': ['p(99)<2000'], 'attack_accepted{goal:secure_HES_TN}': ['count==0'] }),
      samples,
    );
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    for (const r of results) expect(Number.isNaN(r.actual)).toBe(true);
  });

  it.each([
    ['unknown metric', { latency: ['p(99)<1'] }, /unknown metric "latency"/],
    ['bad tag filter', { 'automation_latency_ms{mode}': ['p(99)<1'] }, /tag filter "mode" is not tag:value/],
    ['bad expression', { automation_latency_ms: ['p99<1'] }, /"p99<1" is not an expression/],
    ['percentile out of range', { automation_latency_ms: ['p(0)<1'] }, /percentile must be in/],
    ['trend aggregation on a counter', { attack_accepted: ['p(99)<1'] }, /only count applies/],
  ])('names the threshold that does not parse: %s', (_what, spec, message) => {
    expect(() => parseThresholds(spec)).toThrow(ThresholdError);
    expect(() => parseThresholds(spec)).toThrow(message);
  });
});
