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
