import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchStandardFirmata } from '../../nodes/boards/emulated/firmware';

const CLI = ['--import', 'tsx', 'bench/cli/gridbench.ts', 'boards'];

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const servers: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  await fetchStandardFirmata();
}, 180_000);

async function serveVirtual(dir: string, kind: 'virtual' | 'emulate' = 'virtual'): Promise<ChildProcess> {
  const args =
    kind === 'virtual' ? ['virtual', '--dir', dir, '--load-w', '3600', '--boot-ms', '200'] : ['emulate', '--dir', dir, '--load-w', '3600'];
  const server = spawn(process.execPath, [...CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`virtual board server exited with ${code}: ${out}`)));
  });
  return server;
}

describe('gridbench boards', () => {
  it('check runs the compliance suite against a virtual Uno served on a pty, prints the table and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-cli-'));
    dirs.push(dir);
    const server = await serveVirtual(dir);
    const result = await run(['check', '--port', join(dir, 'host'), '--tn', 'bench-7', '--expect-pulse-ms', '4000']);
    expect(result.stdout, result.stderr).toContain('8/8 checks passed');
    expect(result.stdout).toMatch(/PASS {2}closes the relay and sees it switch/);
    expect(result.code).toBe(0);

    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The server stopped its socat: the serial path is gone.
    expect(existsSync(join(dir, 'host'))).toBe(false);
  });

  it('check passes against StandardFirmata running on an emulated Uno served on a pty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-cli-'));
    dirs.push(dir);
    await serveVirtual(dir, 'emulate');
    const result = await run(['check', '--port', join(dir, 'host'), '--expect-pulse-ms', '4000', '--attach-timeout', '10000']);
    expect(result.stdout, result.stderr).toContain('8/8 checks passed');
    expect(result.code).toBe(0);
  });

  it('check exits 1 with a clear message for a port that does not exist', async () => {
    const result = await run(['check', '--port', '/dev/gridbench-no-such-port', '--tn', 'bench-8']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TN bench-8, port /dev/gridbench-no-such-port: the serial port does not exist');
  });

  it('check exits 1 naming the pin of a wiring that uses a pin twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-cli-'));
    dirs.push(dir);
    await serveVirtual(dir);
    const result = await run(['check', '--port', join(dir, 'host'), '--relay', '8']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('pin 8: feedback: pin already used by relay');
  });

  it('check fails the table and exits 1 when the board does not answer Firmata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-cli-'));
    dirs.push(dir);
    const socat = spawn('socat', [`pty,raw,echo=0,link=${join(dir, 'silent')}`, `pty,raw,echo=0,link=${join(dir, 'host')}`]);
    servers.push(socat);
    while (!existsSync(join(dir, 'host'))) await new Promise((r) => setTimeout(r, 20));
    const result = await run(['check', '--port', join(dir, 'host'), '--attach-timeout', '1500']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}attaches and reports its status +status failed: .*no Firmata answer within 1500 ms/);
  });
});
