/**
 * Shared measuring tools of the perf scripts. The machine is shared and noisy, so scripts measure
 * variants side by side in rounds and report medians; every result states the clock it ran on.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Operations per second of `op`, run for about `windowMs` of real time. */
export function opsPerSecond(op: () => void, windowMs: number): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < windowMs) {
    for (let i = 0; i < 8; i++) op();
    n += 8;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

export const round = (v: number, digits = 0): number => Number(v.toFixed(digits));

/** The scripts' contract: human-readable lines first, then one JSON object as the last line. */
export function report(result: object, lines: readonly string[] = []): void {
  process.stdout.write(`${[...lines, JSON.stringify(result)].join('\n')}\n`);
}
