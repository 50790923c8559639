/**
 * Same seed, same result: a lean run's summary.json, less the fields that say when and how long
 * it ran on the wall clock, is byte-identical across repeated runs, on the real and the ideal
 * crypto backend (keys and nonces come from the seed: crypto.randomness seeded).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fields of summary.json that depend on the wall clock or the results directory. */
export const WALL_CLOCK_FIELDS = ['startedAt', 'wallSeconds', 'placement', 'dashboard', 'outputs'] as const;

const scenario = (crypto: string) => `
name: determinism
seed: 11
modes: [lean]
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

async function summaryText(crypto: string, run: number): Promise<string> {
  const result = await runScenario(parseScenario(scenario(crypto), join(dir, 'determinism.yaml')), {
    resultsRoot: join(dir, `${crypto}-${run}`),
    runId: 'determinism',
  });
  const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  for (const field of WALL_CLOCK_FIELDS) delete summary[field];
  return JSON.stringify(summary, null, 2);
}

describe('a lean run repeats', () => {
  it.each(['node', 'ideal'])('byte for byte with %s crypto', async (crypto) => {
    const first = await summaryText(crypto, 1);
    const second = await summaryText(crypto, 2);
    expect(second).toBe(first);
    const summary = JSON.parse(first);
    expect(summary.crypto.tn).toBe(crypto);
    expect(summary.modes.lean.bootstrap.enrolled).toBe(30);
    expect(summary.modes.lean.automation.count).toBeGreaterThan(0);
    expect(summary.modes.lean.channel.dropsLoss).toBeGreaterThan(0);
  });
});

/**
 * smgw-tls: real TLS draws its own randomness (ECDSA signatures in certificates and handshakes
 * are DER, a byte or two longer or shorter), so byte counts and the timings that follow from them
 * may differ between runs, within bounds; what the run counts (enrolments, commands, deliveries,
 * frames, rejections, attacks) does not.
 */
describe('an smgw-tls run repeats', () => {
  it('in its counts exactly, in bytes and timings within bounds', async () => {
    const run = async (n: number) => {
      const text = scenario('node').replace('modes: [lean]', 'modes: [smgw-tls]');
      const result = await runScenario(parseScenario(text, join(dir, 'determinism-tls.yaml')), {
        resultsRoot: join(dir, `tls-${n}`),
        runId: 'determinism',
      });
      return result.summary.modes['smgw-tls']!;
    };
    const [a, b] = [await run(1), await run(2)];
    expect(b.bootstrap.enrolled).toBe(a.bootstrap.enrolled);
    expect(b.bootstrap.failed).toEqual(a.bootstrap.failed);
    expect(b.automation.count).toBe(a.automation.count);
    expect(b.automation.addressed).toBe(a.automation.addressed);
    expect(b.meterRounds.rounds).toBe(a.meterRounds.rounds);
    expect(b.meterRounds.missing).toBe(a.meterRounds.missing);
    expect(b.handshakes.count).toBe(a.handshakes.count);
    expect(b.channel.framesOffered).toBe(a.channel.framesOffered);
    expect(b.rejections).toEqual(a.rejections);
    // bytes: within 0.5 %; latencies: within 2 % or 50 ms
    const near = (x: number | null, y: number | null, relative: number, absolute = 0) => {
      expect(x === null).toBe(y === null);
      if (x !== null && y !== null) expect(Math.abs(x - y)).toBeLessThanOrEqual(Math.max(absolute, relative * Math.abs(x)));
    };
    near(a.channel.bytesOffered, b.channel.bytesOffered, 0.005);
    near(a.handshakes.meanBytes, b.handshakes.meanBytes, 0.005);
    near(a.automation.p50Ms, b.automation.p50Ms, 0.02, 50);
    near(a.automation.p99Ms, b.automation.p99Ms, 0.02, 50);
    near(a.bootstrap.durationMs, b.bootstrap.durationMs, 0.02, 50);
  });
});
