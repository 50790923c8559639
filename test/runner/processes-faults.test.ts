/**
 * gridbench run --processes when what the run stands on dies: a run whose broker or HES died, or
 * that lost every TN host, fails (exit 1, summary.failures) even without thresholds.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcesses } from '../../bench/runner/processes';
import { summaryTable } from '../../bench/runner/summary-table';
import { loadScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A short run with no thresholds; `victims` are killed a second into the workload. */
async function runKilling(name: string, victims: readonly string[]) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'duration: 4s',
      'topology: { dcs: 1, tnsPerDc: 1 }',
      'workload:',
      '  automation: [{ every: 1s, dc: all, relay: [on, off] }]',
    ].join('\n'),
  );
  const children = new Map<string, ChildProcess>();
  let killed = false;
  return runProcesses(loadScenario(file), {
    resultsRoot: dir,
    log: () => {},
    stopTimeoutMs: 2_000,
    onProcess: (n, child) => children.set(n, child),
    onProgress: (p) => {
      if (p.phase === 'run' && p.simulatedMs > 1_000 && !killed) {
        killed = true;
        for (const v of victims) children.get(v)!.kill('SIGKILL');
      }
    },
  });
}

describe('--processes when what the run stands on dies', () => {
  it('fails a run whose broker and HES died and that lost every TN host, though it has no thresholds, and says which', async () => {
    const result = await runKilling('all-die', ['channel', 'hes', 'tns:dc1']);
    expect(result.summary.thresholds).toEqual([]);
    expect(result.exitCode).toBe(1);
    expect(result.summary.ok).toBe(false);
    expect(result.summary.failures).toEqual([
      'lean: the channel broker killed by SIGKILL during the run',
      'lean: the HES host killed by SIGKILL during the run',
      'lean: every TN host was lost (tns:dc1 killed by SIGKILL)',
    ]);
    expect(summaryTable(result.summary)).toMatch(/^FAILED run: lean: the channel broker killed by SIGKILL/m);
  });
});
