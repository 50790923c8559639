/**
 * Same seed, same result: a lean run's summary.json, less the fields that say when and how long
 * it ran on the wall clock, is byte-identical across repeated runs, on the real and the ideal
 * crypto backend (keys and nonces come from the seed: crypto.randomness seeded).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';
import { comparableSummary, determinismScenario, expectTlsRunsAlike } from '../helpers/determinism';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-determinism-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function summaryText(crypto: string, run: number): Promise<string> {
  const result = await runScenario(parseScenario(determinismScenario(crypto), join(dir, 'determinism.yaml')), {
    resultsRoot: join(dir, `${crypto}-${run}`),
    runId: 'determinism',
  });
  return comparableSummary(result.runDir);
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
      const result = await runScenario(parseScenario(determinismScenario('node', 'smgw-tls'), join(dir, 'determinism-tls.yaml')), {
        resultsRoot: join(dir, `tls-${n}`),
        runId: 'determinism',
      });
      return result.summary.modes['smgw-tls']!;
    };
    expectTlsRunsAlike(await run(1), await run(2));
  });
});
