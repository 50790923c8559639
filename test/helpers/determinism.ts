/**
 * Same seed, same result (issue 13): the scenario the determinism tests run, the summary.json
 * fields that may differ between runs (wall clock, results directory), and the bounds an smgw-tls
 * run repeats within (real TLS draws its own randomness). test/scale/determinism.test.ts runs it
 * in process, test/scale/partitioned.test.ts partitioned across worker counts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ModeSummary } from '../../bench/runner/summary';

/** The fields of summary.json that depend on the wall clock or the results directory. */
export const WALL_CLOCK_FIELDS = ['startedAt', 'wallSeconds', 'placement', 'dashboard', 'outputs'] as const;

export const determinismScenario = (crypto: string, mode = 'lean') => `
name: determinism
seed: 11
modes: [${mode}]
duration: 40m
crypto: ${crypto}
topology: { dcs: 2, tnsPerDc: 15 }
channel:
  wan: { preset: dsl }
  plc: { preset: g3-plc-cenelec-a }
workload:
  meterRounds: { every: 15m, timeout: 5m }
  automation:
    - { every: 5m, dc: all, relay: [on, off] }
events:
  - { at: 20m, powerRestored: dc2 }
`;

/** A run's summary.json less WALL_CLOCK_FIELDS, as text to compare byte for byte. */
export function comparableSummary(runDir: string): string {
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  for (const field of WALL_CLOCK_FIELDS) delete summary[field];
  return JSON.stringify(summary, null, 2);
}

/**
 * Two smgw-tls runs of one scenario: what they count (enrolments, commands, deliveries, frames,
 * rejections) is equal; bytes within 0.5 % (DER signatures a byte or two longer or shorter);
 * latencies within 2 % or 50 ms.
 */
export function expectTlsRunsAlike(a: ModeSummary, b: ModeSummary): void {
  expect(b.bootstrap.enrolled).toBe(a.bootstrap.enrolled);
  expect(b.bootstrap.failed).toEqual(a.bootstrap.failed);
  expect(b.automation.count).toBe(a.automation.count);
  expect(b.automation.addressed).toBe(a.automation.addressed);
  expect(b.meterRounds.rounds).toBe(a.meterRounds.rounds);
  expect(b.meterRounds.missing).toBe(a.meterRounds.missing);
  expect(b.handshakes.count).toBe(a.handshakes.count);
  expect(b.channel.framesOffered).toBe(a.channel.framesOffered);
  expect(b.rejections).toEqual(a.rejections);
  const near = (x: number | null, y: number | null, relative: number, absolute = 0) => {
    expect(x === null).toBe(y === null);
    if (x !== null && y !== null) expect(Math.abs(x - y)).toBeLessThanOrEqual(Math.max(absolute, relative * Math.abs(x)));
  };
  near(a.channel.bytesOffered, b.channel.bytesOffered, 0.005);
  near(a.handshakes.meanBytes, b.handshakes.meanBytes, 0.005);
  near(a.automation.p50Ms, b.automation.p50Ms, 0.02, 50);
  near(a.automation.p99Ms, b.automation.p99Ms, 0.02, 50);
  near(a.bootstrap.durationMs, b.bootstrap.durationMs, 0.02, 50);
}
