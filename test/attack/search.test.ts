/**
 * The searching attacker (bench/attack/search.ts) with a small, fixed number of trials: against a
 * deliberately broken HES (it seals every confidential message to another TN's key) it finds the
 * secure_HES_TN violation, shrinks the sequence to the move that shows it, and the campaign it
 * writes reproduces it through `gridbench run`'s own path; against the real nodes the same trials
 * find nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emitFinding } from '../../bench/attack/emit';
import { searchAttacks } from '../../bench/attack/search';
import type { RunOptions } from '../../bench/runner/run';
import { runScenario } from '../../bench/runner/run';
import { loadScenario } from '../../bench/scenario/load';
import type { LeanMode } from '../../nodes/lean/lean-mode';

/** A HES that seals each confidential message for a TN to the key of another TN of the fleet. */
const brokenHes: RunOptions['onMode'] = (_name, mode) => {
  type Registration = { encKey: string };
  const hes = (mode as LeanMode).hes as unknown as {
    tns: Map<string, Registration>;
    registrationOf(tn: string): Registration | undefined;
  };
  const registrationOf = hes.registrationOf.bind(hes);
  hes.registrationOf = (tn) => {
    const own = registrationOf(tn);
    const other = [...hes.tns.entries()].find(([id]) => id !== tn)?.[1];
    return own && other ? { ...own, encKey: other.encKey } : own;
  };
};

const TRIALS = 12;
const dir = mkdtempSync(join(tmpdir(), 'attack-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gridbench attack search', () => {
  it('finds, shrinks and writes a reproducible campaign for a broken HES', async () => {
    const report = await searchAttacks({
      mode: 'lean',
      seed: 1,
      budgetMs: 120_000,
      maxTrials: TRIALS,
      stopAtFirst: true,
      runOptions: { onMode: brokenHes },
    });
    expect(report.findings.map((f) => f.goal)).toEqual(['secure_HES_TN']);
    const [finding] = report.findings;
    expect(finding!.violation.detail).toMatch(/^Confidential for tn\d\.\d{3} is readable by tn\d\.\d{3}$/);
    // shrunk to the one move that shows it: an honest confidential message
    expect(finding!.movesAfter).toBe(1);
    expect(finding!.steps.map((s) => Object.keys(s).find((k) => k !== 'at'))).toEqual(['confidential']);

    const files = emitFinding(dir, 'lean', 1, finding!);
    expect(readFileSync(files.campaign, 'utf8')).toContain('goal: secure_HES_TN');
    const replay = await runScenario(loadScenario(files.scenario), { resultsRoot: dir, onMode: brokenHes });
    expect(replay.exitCode).toBe(99);
    const fixed = await runScenario(loadScenario(files.scenario), { resultsRoot: dir });
    expect(fixed.exitCode).toBe(0);
  });

  it('finds nothing in the same trials against the real nodes', async () => {
    const report = await searchAttacks({ mode: 'lean', seed: 1, budgetMs: 120_000, maxTrials: TRIALS });
    expect(report.trials).toBe(TRIALS);
    expect(report.findings).toEqual([]);
  });
});
