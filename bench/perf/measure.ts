/**
 * Shared measuring tools of the perf scripts. The machine is shared and noisy, so scripts measure
 * variants side by side in rounds and report medians; every result states the clock it ran on.
 * Medians and percentiles come from core/statistics.ts, the bench's one statistics module.
 */

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
