/**
 * The heap limit of a run (bench/cli/heap-limit.ts, issue 13): a scenario whose TNs outgrow node's
 * own limit (about 4 GiB) starts again in a node that may take most of the machine's memory,
 * instead of V8 stopping it with "heap out of memory" minutes in; a limit given to node holds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { heapLimitBytes, heapLimitGiven, heapNeedBytes, LIVE_HEAP_PER_TN, machineHeapMb, planHeap } from '../../bench/cli/heap-limit';
import { DEFAULT_HEAP_GROWING_PERCENT } from '../../bench/cli/heap-growth';
import { jemallocPath } from '../../bench/cli/allocator';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GiB = 2 ** 30;

describe('the heap limit of a run', () => {
  it('takes a limit given to node in any form V8 reads, on its command line or in NODE_OPTIONS', () => {
    expect(heapLimitGiven([], '')).toBe(false);
    expect(heapLimitGiven(['--max-semi-space-size=128'], '--heap-growing-percent=50')).toBe(false);
    expect(heapLimitGiven(['--max-old-space-size=8000'], '')).toBe(true);
    expect(heapLimitGiven(['--max_old_space_size', '8000'], '')).toBe(true);
    expect(heapLimitGiven([], '--max-heap-size=900')).toBe(true);
  });

  it('sizes a run by its largest mode’s TNs and the heap growth, and chooses what to do', () => {
    // a million lean TNs at 50 % growth: 18 GB; smgw-tls holds twice as much per TN as lean
    expect(heapNeedBytes(1_000_000, ['lean'], 50)).toBe(1_000_000 * LIVE_HEAP_PER_TN.lean * 1.5 + 512 * 2 ** 20);
    expect(heapNeedBytes(100_000, ['lean', 'smgw-tls'], 50)).toBe(heapNeedBytes(100_000, ['smgw-tls'], 50));
    expect(heapNeedBytes(100_000, ['smgw-tls'], 0)).toBeGreaterThan(heapNeedBytes(100_000, ['smgw-tls'], 50));

    expect(planHeap('x', 2 * GiB, 4 * GiB, false, 20_000)).toEqual({ kind: 'fits' });
    expect(planHeap('x', 18 * GiB, 4 * GiB, false, 20_000)).toEqual({ kind: 'relaunch', flag: '--max-old-space-size=20000' });
    const tight = planHeap('national-1m (1,000,000 TNs)', 18 * GiB, 4 * GiB, false, 8_000);
    expect(tight).toMatchObject({ kind: 'relaunch', flag: '--max-old-space-size=8000' });
    expect(tight.kind === 'relaunch' && tight.warning).toBe(
      "national-1m (1,000,000 TNs) needs about 18.0 GiB of V8 heap; 7.8 GiB is the most this machine's memory gives it",
    );
    // a limit given to node holds; a machine with no more memory than node's limit gains nothing
    expect(planHeap('x', 18 * GiB, 6 * GiB, true, 20_000)).toMatchObject({ kind: 'warn' });
    expect(planHeap('x', 18 * GiB, 4 * GiB, false, 3_000)).toMatchObject({ kind: 'warn' });
  });

  /** Starts `gridbench run` on national-1m, waits for its header line, stops it; what it printed. */
  async function startAndStop(env: NodeJS.ProcessEnv): Promise<{ stderr: string; code: number | null; signal: string | null }> {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/cli/gridbench.ts',
        'run',
        'bench/scenarios/national-1m.yaml',
        '--results',
        join(dir, 'results'),
        '--quiet',
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no header line in 60 s:\n${stderr}`)), 60_000);
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        if (/^gridbench: national-1m \(bench\/scenarios.*heap limit/m.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    return { stderr, code, signal };
  }

  it('starts national-1m again in a node that may take most of the machine, and stops it with the process it started', async () => {
    const need = heapNeedBytes(1_000_000, ['lean'], DEFAULT_HEAP_GROWING_PERCENT);
    const plan = planHeap('national-1m', need, heapLimitBytes(), false);
    const { stderr, code } = await startAndStop({ NODE_OPTIONS: '', GRIDBENCH_HEAP_GROWING_PERCENT: '' });
    if (plan.kind === 'relaunch') {
      expect(stderr).toContain(`starting node again with --max-old-space-size=${machineHeapMb()}`);
      // the header comes from the node started again, whose limit is the machine's
      const header = /^gridbench: national-1m \(bench\/scenarios.*$/m.exec(stderr)![0];
      expect(Number(/heap limit ([\d.]+) GiB/.exec(header)![1])).toBeGreaterThanOrEqual(Math.floor((machineHeapMb() / 1024) * 10) / 10);
      // and it runs on jemalloc where installed (allocator.ts)
      expect(header).toContain(jemallocPath() ? "jemalloc's malloc" : "glibc's malloc");
      // SIGTERM reached the node it started: the relaunching process exits as that one did
      expect(code).toBe(128 + 15);
    } else {
      expect(plan.kind).toBe('warn');
      expect(stderr).toContain('national-1m needs about');
    }
  }, 120_000);

  it('keeps a limit given to node, with a warning that names what the run needs', async () => {
    const { stderr } = await startAndStop({ NODE_OPTIONS: '--max-old-space-size=6000' });
    expect(stderr).not.toContain('starting node again');
    expect(stderr).toMatch(/national-1m \(1,000,000 TNs\) needs about [\d.]+ GiB of V8 heap; the limit node was given holds 5\.\d GiB/);
    const header = /^gridbench: national-1m \(bench\/scenarios.*$/m.exec(stderr)![0];
    expect(header).toMatch(/heap limit 5\.\d GiB/);
    // not started again: the process the user started, on glibc's malloc
    expect(header).toContain("glibc's malloc");
  }, 120_000);
});
