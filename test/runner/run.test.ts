/**
 * A run closes its mode on every path: when it ends, and when bootstrap, the workload or a
 * campaign step throws, so no node, timer or socket of a failed run outlives it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runScenario } from '../../bench/runner/run';
import { loadScenario } from '../../bench/scenario/load';
import { LeanMode } from '../../nodes/lean/lean-mode';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function scenario(name: string, extra: string[] = []): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'modes: [lean]',
      'duration: 2m',
      'topology: { dcs: 1, tnsPerDc: 2 }',
      'workload: { automation: [{ every: 30s, dc: dc1, relay: [on, off] }] }',
      ...extra,
    ].join('\n'),
  );
  return file;
}

const run = (file: string) => runScenario(loadScenario(file), { resultsRoot: join(dir, 'results') });

describe('a run closes its mode', () => {
  it('when it ends', async () => {
    const close = vi.spyOn(LeanMode.prototype, 'close');
    const result = await run(scenario('ends'));
    expect(result.exitCode).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('when bootstrap throws, and the run fails with that error', async () => {
    const close = vi.spyOn(LeanMode.prototype, 'close');
    vi.spyOn(LeanMode.prototype, 'bootstrap').mockRejectedValue(new Error('no HES answered'));
    await expect(run(scenario('bootstrap-throws'))).rejects.toThrow('no HES answered');
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('when the workload throws, and the run fails with that error', async () => {
    const close = vi.spyOn(LeanMode.prototype, 'close');
    vi.spyOn(LeanMode.prototype, 'automation').mockImplementation(() => {
      throw new Error('dc1 is not enrolled');
    });
    await expect(run(scenario('workload-throws'))).rejects.toThrow('dc1 is not enrolled');
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('when a campaign step throws, and the run reports the step', async () => {
    const close = vi.spyOn(LeanMode.prototype, 'close');
    vi.spyOn(LeanMode.prototype, 'replace').mockRejectedValue(new Error('the new unit did not enrol'));
    const campaign = join(dir, 'replace.yaml');
    writeFileSync(campaign, ['name: replace', 'steps:', '  - { at: 20s, replace: tn1.001 }'].join('\n'));
    const result = await run(scenario('step-throws', [`campaigns: [${campaign}]`]));
    expect(close).toHaveBeenCalledTimes(1);
    expect(result.summary.modes.lean!.failedSteps).toEqual([
      { campaign: 'replace', step: 0, kind: 'replace', atMs: 20_000, error: 'the new unit did not enrol' },
    ]);
    expect(result.exitCode).toBe(99);
  });
});
