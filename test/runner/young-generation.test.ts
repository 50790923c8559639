/**
 * A run's young generation (bench/cli/young-generation.ts, issue 13): npm run gridbench starts node
 * with the semi-spaces perf:scale measured, and a size given to node itself is the one that holds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SEMI_SPACE_MB, semiSpaceFlags, semiSpaceMb } from '../../bench/cli/young-generation';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-young-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the young generation of gridbench’s processes', () => {
  it('reads node’s own size in every form V8 takes, the command line over NODE_OPTIONS', () => {
    expect(semiSpaceMb([], '')).toBeUndefined();
    expect(semiSpaceMb(['--max-semi-space-size=64'], '')).toBe(64);
    expect(semiSpaceMb(['--max_semi_space_size', '32'], '')).toBe(32);
    expect(semiSpaceMb([], '--max-old-space-size=100 --max-semi-space-size=16')).toBe(16);
    expect(semiSpaceMb(['--max-semi-space-size=64'], '--max-semi-space-size=16')).toBe(64);
    // a child inherits node's own size; without one it gets the default
    expect(semiSpaceFlags([], '')).toEqual([`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`]);
    expect(semiSpaceFlags(['--max-semi-space-size=8'], '')).toEqual([]);
    expect(semiSpaceFlags([], '--max-semi-space-size=8')).toEqual([]);
  });

  it('reaches the process of npm run gridbench, whose run says which ran', () => {
    const scenario = join(dir, 'young.yaml');
    writeFileSync(
      scenario,
      [
        'name: young',
        'modes: [lean]',
        'duration: 1m',
        'topology: { dcs: 1, tnsPerDc: 5 }',
        'channel: { plc: { preset: g3-plc-cenelec-a }, wan: { preset: dsl } }',
        'workload: { automation: [{ every: 30s, dc: dc1, relay: [on, off] }] }',
      ].join('\n'),
    );
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync('npm', ['run', '--silent', 'gridbench', '--', 'run', scenario, '--results', join(dir, 'results'), '--quiet'], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...env },
      });
    const header = (stderr: string) => /^gridbench: young .*$/m.exec(stderr)?.[0] ?? '';
    const byScript = run({ NODE_OPTIONS: '' });
    expect(byScript.status, byScript.stderr).toBe(0);
    expect(header(byScript.stderr)).toContain(`semi-spaces of up to ${DEFAULT_SEMI_SPACE_MB} MiB`);
    // the README's first command starts node the same way
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.bench).toContain(`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB} `);
    // and so does the CLI's own shebang (npx gridbench)
    expect(readFileSync('bench/cli/gridbench.ts', 'utf8').split('\n')[0]).toContain(`--max-semi-space-size=${DEFAULT_SEMI_SPACE_MB}`);
  }, 180_000);
});
