/**
 * The children of gridbench run --processes when their parent dies without stopping them (killed,
 * crashed): a node host, which sends its samples to that parent only, stops instead of living on
 * as an orphan holding its broker sockets open; the channel broker stops too and frees its port.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/runner/processes';
import { provisionState } from '../../bench/runner/provision';
import { loadScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-orphans-'));
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

/** Whether a listener can take the port on 127.0.0.1 now. */
const portFree = (port: number) =>
  new Promise<boolean>((res) => {
    const server = createServer();
    server.once('error', () => res(false));
    server.listen(port, '127.0.0.1', () => server.close(() => res(true)));
  });

describe('the broker of a run --processes whose parent dies', () => {
  it('stops within seconds and frees its port', async () => {
    const file = join(dir, 'orphan-broker.yaml');
    writeFileSync(file, ['name: orphan-broker', 'modes: [lean]', 'duration: 1h', 'topology: { dcs: 1, tnsPerDc: 1 }'].join('\n'));
    const parent = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', file, '--processes', '--quiet', '--results', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    orphans.push(parent.pid!);
    const lines = createInterface({ input: parent.stderr! });
    let broker: { port: number; pid: number } | undefined;
    // the run is under way: the broker is up and every host has attached and enrolled
    await new Promise<void>((res, rej) => {
      lines.on('line', (l) => {
        const m = /channel broker at tcp:\/\/127\.0\.0\.1:(\d+) \(pid (\d+)\)/.exec(l);
        if (m) broker = { port: Number(m[1]), pid: Number(m[2]) };
        if (l.includes('workload starts')) res();
      });
      parent.once('exit', (code) => rej(new Error(`the run exited (${code}) before its workload started`)));
    });
    expect(broker).toBeDefined();
    const { pid, port } = broker!;
    orphans.push(pid);
    expect(alive(pid)).toBe(true);
    expect(await portFree(port)).toBe(false);

    parent.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect(await portFree(port)).toBe(true);
  }, 60_000);
});
