/**
 * gridbench run holds V8's heap growth to 50 % past what is live unless told otherwise
 * (bench/cli/heap-growth.ts, issue 13), and the setting reaches V8 in the run's own process: V8's
 * --trace-gc-verbose prints the factor of every heap limit it sets after a full collection.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAP_GROWTH_ENV } from '../../bench/cli/heap-growth';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-heap-growth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each spawned run takes 5 to 25 s of a loaded machine's wall time; a test spawns up to two. */
const SPAWNS_TIMEOUT_MS = 180_000;
const scenario = join(dir, 'heap.yaml');
writeFileSync(
  scenario,
  [
    'name: heap',
    'modes: [lean]',
    'duration: 10m',
    'topology: { dcs: 1, tnsPerDc: 30 }',
    'channel: { plc: { preset: g3-plc-cenelec-a }, wan: { preset: dsl } }',
    'workload: { automation: [{ every: 30s, dc: dc1, relay: [on, off] }] }',
  ].join('\n'),
);

/** gridbench run under V8's GC trace: the run's header line and the growth factor of every heap limit V8 set. */
function run(env: string | undefined, nodeFlags: string[] = []) {
  const r = spawnSync(
    process.execPath,
    [
      ...nodeFlags,
      '--trace-gc-verbose',
      '--import',
      'tsx',
      'bench/cli/gridbench.ts',
      'run',
      scenario,
      '--results',
      join(dir, 'results'),
      '--quiet',
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, [HEAP_GROWTH_ENV]: env } },
  );
  const factors = [...r.stdout.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)$/gm)].map((m) => m[1]);
  return { code: r.status, stderr: r.stderr, header: /^gridbench: heap .*$/m.exec(r.stderr)?.[0] ?? '', factors };
}

describe('gridbench run and V8’s heap growth', () => {
  it(
    'holds it to 50 % by default, in the run’s process',
    () => {
      const r = run(undefined);
      expect(r.code).toBe(0);
      expect(r.header).toMatch(/heap growth held to 50 %, /);
      expect(r.factors.length).toBeGreaterThan(1);
      expect(new Set(r.factors)).toEqual(new Set(['1.5']));
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    `takes another growth from ${HEAP_GROWTH_ENV}, and 0 for V8’s own`,
    () => {
      const other = run('80');
      expect(other.header).toMatch(/heap growth held to 80 %, /);
      expect(new Set(other.factors)).toEqual(new Set(['1.8']));
      const own = run('0');
      expect(own.code).toBe(0);
      expect(own.header).toMatch(/V8's own heap growth, /);
      expect(own.factors.length).toBeGreaterThan(1);
      // V8's own grows a small heap by up to 4 times
      expect(own.factors.some((f) => f !== '1.5')).toBe(true);
    },
    SPAWNS_TIMEOUT_MS,
  );

  it(
    'lets node’s own --heap-growing-percent win, and refuses a setting that is not a percentage',
    () => {
      const flag = run('80', ['--heap-growing-percent=20']);
      expect(flag.header).toMatch(/heap growth held to 20 %, /);
      expect(new Set(flag.factors)).toEqual(new Set(['1.2']));
      const bad = run('half');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(`${HEAP_GROWTH_ENV}=half: expected a whole number of percent`);
    },
    SPAWNS_TIMEOUT_MS,
  );
});
