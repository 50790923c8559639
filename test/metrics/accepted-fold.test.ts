/**
 * The outputs' fold of accepted frames under per-segment tagging (bench/metrics/accepted-fold.ts):
 * what a time-series query sums (frames per segment, role and class) is what the frames were.
 */
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../core/metrics';
import { ACCEPTED_FOLD_MS, outputFold } from '../../bench/metrics/accepted-fold';
import { retag } from '../../bench/metrics/tagging';

const run = { run: 'r', scenario: 's', mode: 'lean' };
const accepted = (time: number, tn: string, counter: number, extra: Record<string, string> = {}): Sample => ({
  measurement: 'frame_accepted',
  tags: { ...run, role: 'tn', class: 'automation', segment: tn.slice(2, 3) === '1' ? 'dc1' : 'dc2', dc: `dc${tn[2]}`, tn, ...extra },
  fields: { count: 1, counter, sender: 'dc1' },
  time,
});
const latency = (time: number): Sample => ({
  measurement: 'automation_latency',
  tags: { ...run, tn: 'tn1.001' },
  fields: { latency_ms: 5 },
  time,
});

function through(tagging: 'per-tn' | 'per-segment', samples: readonly Sample[]): Sample[] {
  const out: Sample[] = [];
  const fold = outputFold(tagging);
  const tagged = retag(tagging);
  for (const s of samples) fold.add(tagged(s), (x) => out.push(x));
  fold.flush((x) => out.push(x));
  return out;
}

describe('accepted frames under per-segment tagging', () => {
  const I = ACCEPTED_FOLD_MS;
  const samples = [
    accepted(100, 'tn1.001', 7),
    accepted(200, 'tn1.002', 9),
    accepted(300, 'tn2.001', 4),
    latency(350),
    accepted(I + 5, 'tn1.003', 8),
    accepted(I + 6, 'tn1.004', 8, { board: 'uno' }),
    accepted(3 * I, 'tn1.001', 10),
  ];

  it('become one point per interval, segment, role and class: the count, the highest counter, at the interval start', () => {
    const out = through('per-segment', samples);
    const points = out.filter((s) => s.measurement === 'frame_accepted' && s.tags.tn === undefined);
    expect(points.map((p) => [p.time, p.tags.segment, p.fields])).toEqual([
      [0, 'dc1', { count: 2, counter: 9 }],
      [0, 'dc2', { count: 1, counter: 4 }],
      [I, 'dc1', { count: 1, counter: 8 }],
      [3 * I, 'dc1', { count: 1, counter: 10 }],
    ]);
    expect(points[0]!.tags).toEqual({ ...run, role: 'tn', class: 'automation', segment: 'dc1', dc: 'dc1' });
    // the sum is every frame; a board's frame (which keeps its tn tag) and other measurements pass as they came
    const frames = out.filter((s) => s.measurement === 'frame_accepted').reduce((n, s) => n + (s.fields.count as number), 0);
    expect(frames).toBe(samples.filter((s) => s.measurement === 'frame_accepted').length);
    expect(out.filter((s) => s.tags.board === 'uno')).toEqual([samples[5]]);
    expect(out.filter((s) => s.measurement === 'automation_latency')).toHaveLength(1);
  });

  it('go out once a later interval begins, so that a long run holds one interval of them', () => {
    const out: Sample[] = [];
    const fold = outputFold('per-segment');
    for (const s of samples.slice(0, 3)) fold.add(retag('per-segment')(s), (x) => out.push(x));
    expect(out).toEqual([]);
    fold.add(latency(I), (x) => out.push(x));
    expect(out.map((s) => s.measurement)).toEqual(['frame_accepted', 'frame_accepted', 'automation_latency']);
  });

  it('a late frame (of an interval already out) is a point of its own, so no frame is lost', () => {
    const out = through('per-segment', [accepted(I + 1, 'tn1.001', 3), accepted(2 * I, 'tn1.002', 4), accepted(5, 'tn1.003', 2)]);
    expect(out.map((s) => [s.time, s.fields.count])).toEqual([
      [I, 1],
      [2 * I, 1],
      [0, 1],
    ]);
  });

  it('per-tn tagging folds nothing', () => {
    expect(through('per-tn', samples)).toEqual(samples);
  });
});
