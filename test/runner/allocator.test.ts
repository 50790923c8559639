/**
 * The allocator of the processes gridbench starts for large runs (bench/cli/allocator.ts, issue
 * 13): they run on jemalloc where Debian's libjemalloc2 is installed (the pretest step installs it),
 * a user's GRIDBENCH_MALLOC=glibc or own LD_PRELOAD holds, and what ran is read from the process.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocatorEnv, jemallocPath, runningAllocator, wantedAllocator } from '../../bench/cli/allocator';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-malloc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a node started with `env` says it runs on. */
function allocatorOfChild(env: NodeJS.ProcessEnv): string {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "import('./bench/cli/allocator.ts').then((m) => console.log(m.runningAllocator()))"],
    { encoding: 'utf8', env, timeout: 60_000 },
  );
  expect(child.status, child.stderr).toBe(0);
  return child.stdout.trim();
}

describe('the allocator of a large run’s processes', () => {
  it('finds libjemalloc where Debian puts it, and only there', () => {
    const root = join(dir, 'usr-lib');
    mkdirSync(join(root, 'aarch64-linux-gnu'), { recursive: true });
    expect(jemallocPath([root])).toBeUndefined();
    writeFileSync(join(root, 'aarch64-linux-gnu', 'libjemalloc.so.2'), '');
    expect(jemallocPath([join(dir, 'nowhere'), root])).toBe(join(root, 'aarch64-linux-gnu', 'libjemalloc.so.2'));
  });

  it('preloads jemalloc unless the user chose glibc’s malloc or preloads a library of their own', () => {
    expect(allocatorEnv({ PATH: '/bin' }, () => '/lib/libjemalloc.so.2')).toEqual({ PATH: '/bin', LD_PRELOAD: '/lib/libjemalloc.so.2' });
    expect(allocatorEnv({ GRIDBENCH_MALLOC: 'glibc' }, () => '/lib/libjemalloc.so.2').LD_PRELOAD).toBeUndefined();
    expect(allocatorEnv({ LD_PRELOAD: '/opt/mine.so' }, () => '/lib/libjemalloc.so.2').LD_PRELOAD).toBe('/opt/mine.so');
    expect(allocatorEnv({}, () => undefined).LD_PRELOAD).toBeUndefined();
    expect(wantedAllocator({ GRIDBENCH_MALLOC: 'jemalloc' })).toBe('jemalloc');
    expect(() => wantedAllocator({ GRIDBENCH_MALLOC: 'tcmalloc' })).toThrow('GRIDBENCH_MALLOC=tcmalloc: expected jemalloc or glibc');
  });

  it('starts a process on jemalloc, and reads from the process what it runs on', () => {
    expect(jemallocPath(), 'libjemalloc2 is installed by the pretest step (test/setup/system-packages.sh)').toBeDefined();
    const { LD_PRELOAD: _, ...env } = process.env;
    expect(allocatorOfChild(allocatorEnv(env))).toBe('jemalloc');
    expect(allocatorOfChild(allocatorEnv({ ...env, GRIDBENCH_MALLOC: 'glibc' }))).toBe('glibc');
    expect(allocatorOfChild(env)).toBe('glibc');
    // a process whose mappings cannot be read is taken for glibc's, never guessed as jemalloc
    expect(runningAllocator(join(dir, 'no-maps'))).toBe('glibc');
  }, 120_000);
});
