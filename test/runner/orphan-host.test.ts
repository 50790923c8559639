/**
 * A node host started by a parent (--processes) sends its samples to that parent only. When the
 * parent dies without stopping it (killed, crashed), the host stops too instead of living on as
 * an orphan holding its broker sockets open.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/runner/processes';
import { provisionState } from '../../bench/runner/provision';
import { loadScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-orphan-'));
const CLI = resolve(import.meta.dirname, '..', '..', 'bench', 'cli', 'gridbench.ts');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const orphans: number[] = [];
afterAll(() => {
  for (const pid of orphans.filter(alive)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a node host whose parent dies', () => {
  it('stops within seconds', async () => {
    const file = join(dir, 'orphan.yaml');
    writeFileSync(file, ['name: orphan', 'modes: [lean]', 'duration: 1h', 'topology: { dcs: 1, tnsPerDc: 2 }'].join('\n'));
    const state = join(dir, 'state');
    provisionState(loadScenario(file), state);
    // the parent: forks the host the way --processes does, says its pid, then passes on what the host says
    const args = ['node', '--scenario', file, '--nodes', 'tns:dc1', '--broker', `tcp://127.0.0.1:${await freePort()}`, '--state', state];
    const hostLog = join(dir, 'host.log');
    const parentScript = [
      `const err = require('node:fs').openSync(${JSON.stringify(hostLog)}, 'w');`,
      `const c = require('node:child_process').fork(${JSON.stringify(CLI)}, ${JSON.stringify(args)}, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', err, 'ipc'] });`,
      `console.log(c.pid); c.on('message', (m) => console.log(m.type));`,
    ].join('\n');
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: parent.stdout });
    const started = new Promise<void>((res) => lines.on('line', (l) => l === 'started' && res()));
    const hostPid = await new Promise<number>((res) => lines.once('line', (l) => res(Number(l.trim()))));
    orphans.push(hostPid);
    // the host says it is up and watching its parent (it waits for the broker, then for the parent's word)
    await started;
    expect(alive(hostPid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(hostPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(hostPid)).toBe(false);
    // it stopped because it noticed, not because a later send to the dead parent crashed it
    const logged = readFileSync(hostLog, 'utf8');
    expect(logged).toContain('tns:dc1: the parent process is gone; stopping');
    expect(logged).not.toMatch(/ERR_IPC|Error/);
  }, 30_000);
});
