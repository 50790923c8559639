import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random';

describe('Random', () => {
  it('repeats exactly for the same seed and label, and differs across labels', () => {
    const draw = (r: Random) => Array.from({ length: 5 }, () => r.uint32());
    expect(draw(new Random(42).fork('loss'))).toEqual(draw(new Random(42).fork('loss')));
    expect(draw(new Random(42).fork('loss'))).not.toEqual(draw(new Random(42).fork('jitter')));
    expect(draw(new Random(42))).not.toEqual(draw(new Random(43)));
  });

  it('draws uniform floats whose mean and Bernoulli rate match', () => {
    const r = new Random('uniform');
    let sum = 0;
    let hits = 0;
    let min = 1;
    let max = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const x = r.float();
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      if (r.chance(0.1)) hits++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    // 0.1 +- 4 standard deviations of a binomial proportion at n = 200,000
    expect(Math.abs(hits / n - 0.1)).toBeLessThan(4 * Math.sqrt((0.1 * 0.9) / n));
  });
});
