import { spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { command } from '../../bench/cli/commands/channel';
import { parseChannelConfig } from '../../channel/config';
import { ConfigError } from '../../core/config';
import { connectTransport } from '../../channel/zmq-transport';
import { classFrame } from './helpers';
import { waitFor } from './wire-bench';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-channel-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const GOOD = `
seed: 42
topology:
  hes: hes
  dcs:
    - { id: dc1, tns: [tn1.001, tn1.002] }
links:
  wan: { preset: dsl }
  plc: { preset: g3-plc-cenelec-a, loss: { p: 0.01 } }
  overrides:
    plc:dc1: { queueFrames: 16 }
broker: { endpoint: "tcp://127.0.0.1:0" }
control: { port: 0 }
interceptors:
  - { id: slow-up, type: delay, match: { link: wan, direction: up }, config: { ms: 5 } }
`;

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('channel config', () => {
  it('merges kind defaults, per-link overrides and presets', () => {
    const cfg = parseChannelConfig(GOOD, 'good.yaml');
    expect(cfg.seed).toBe(42);
    expect(cfg.profileFor({ kind: 'plc', dc: 'dc1' })).toEqual({ preset: 'g3-plc-cenelec-a', loss: { p: 0.01 }, queueFrames: 16 });
    expect(cfg.profileFor({ kind: 'wan', dc: 'dc1' })).toEqual({ preset: 'dsl' });
  });

  it("lets a link override switch loss model without keeping the kind default's fields of the old one", () => {
    const ge = '{ model: gilbert-elliott, pGoodToBad: 0.1, pBadToGood: 0.2, lossGood: 0, lossBad: 0.9 }';
    const cfg = parseChannelConfig(GOOD.replace('{ queueFrames: 16 }', `{ loss: ${ge} }`), 'ge.yaml');
    expect(cfg.profileFor({ kind: 'plc', dc: 'dc1' }).loss).toEqual({
      model: 'gilbert-elliott',
      pGoodToBad: 0.1,
      pBadToGood: 0.2,
      lossGood: 0,
      lossBad: 0.9,
    });
  });

  const cases: [string, string, RegExp][] = [
    ['not yaml', 'topology: [unclosed', /bad\.yaml: line \d+: expected valid YAML/],
    ['missing topology', 'seed: 1', /bad\.yaml: topology: /],
    ['negative bit rate', GOOD.replace('loss: { p: 0.01 }', 'bitRate: -1'), /bad\.yaml: links\.plc\.bitRate: .*>=0/],
    ['loss out of range', GOOD.replace('p: 0.01', 'p: 3'), /bad\.yaml: links\.plc\.loss\.p: /],
    ['unknown preset', GOOD.replace('{ queueFrames: 16 }', '{ preset: wifi }'), /links\.overrides\.plc:dc1\.preset: unknown preset "wifi"/],
    ['unknown link', GOOD.replace('plc:dc1:', 'plc:dc7:'), /bad\.yaml: links\.overrides\.plc:dc7: expected a link of the topology/],
    ['bad node id', GOOD.replace('tn1.002', 'tn 2'), /bad\.yaml: topology: node id "tn 2"/],
    ['bad endpoint', GOOD.replace('tcp://127.0.0.1:0', 'http://x'), /bad\.yaml: broker\.endpoint: expected a ZeroMQ endpoint/],
    [
      'unknown interceptor',
      GOOD.replace('type: delay', 'type: teleport'),
      /bad\.yaml: interceptors\.0: type: unknown interceptor "teleport"/,
    ],
    ['bad interceptor config', GOOD.replace('ms: 5', 'ms: soon'), /bad\.yaml: interceptors\.0: interceptors\.0\.config\.ms: /],
    ['token missing', GOOD.replace('control: { port: 0 }', 'control: { host: 0.0.0.0, port: 0 }'), /bad\.yaml: control\.token: required/],
    [
      'attack token missing, no broker keys to take it from',
      `${GOOD}\nattack: { endpoint: "tcp://127.0.0.1:0" }\n`,
      /bad\.yaml: attack\.token: expected at least 16 characters, or broker\.keys holding the token gridbench provision made/,
    ],
    [
      'bridge to a non-neighbour',
      `${GOOD}\nbridges:\n  - { listen: "127.0.0.1:0", upstream: "127.0.0.1:1", client: tn1.001, server: hes }\n`,
      /bad\.yaml: bridges\.0\.server: expected a neighbour of "tn1.001"/,
    ],
    ['unknown field', `${GOOD}\nbrokr: {}\n`, /bad\.yaml: \(root\): .*brokr/],
  ];
  for (const [name, text, message] of cases)
    it(`names the file and field for: ${name}`, () => {
      expect(() => parseChannelConfig(text, 'bad.yaml')).toThrow(ConfigError);
      expect(() => parseChannelConfig(text, 'bad.yaml')).toThrow(message);
    });
});

describe('gridbench channel', () => {
  it('--check validates a file; errors go to stderr with exit code 1', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await command.run(['--config', file('good.yaml', GOOD), '--check'])).toBe(0);
    expect(log.mock.calls[0]![0]).toMatch(/good\.yaml is valid/);
    expect(await command.run(['--config', join(dir, 'missing.yaml'), '--check'])).toBe(1);
    expect(err.mock.calls[0]![0]).toMatch(/missing\.yaml: \(file\): no such channel config file$/);
    expect(await command.run([])).toBe(1);
    expect(await command.run(['--bogus'])).toBe(1);
  });

  it('runs as a process: nodes connect over ZeroMQ, curl-able control API, metrics file, clean stop', async () => {
    const metricsFile = join(dir, 'metrics.jsonl');
    const echo = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as AddressInfo).port;
    const config = file(
      'run.yaml',
      `${GOOD}\nmetrics: { intervalMs: 200, file: ${JSON.stringify(metricsFile)} }\n` +
        `bridges:\n  - { listen: "127.0.0.1:0", upstream: "127.0.0.1:${echoPort}", client: tn1.002, server: dc1 }\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cli/gridbench.ts', 'channel', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('\n'), `ready line (stderr: ${errText})`, 30_000);
      const ready = JSON.parse(out.split('\n')[0]!) as {
        endpoint: string;
        control: string;
        seed: number;
        clock: string;
        bridges: { listen: string }[];
      };
      expect(ready).toMatchObject({ seed: 42, clock: 'real' });
      const tn = await connectTransport({ endpoint: ready.endpoint, node: 'tn1.001' });
      const dc = await connectTransport({ endpoint: ready.endpoint, node: 'dc1' });
      let got = 0;
      dc.onFrame(() => got++);
      tn.send('dc1', classFrame(0x11, 1, 40));
      await waitFor(() => got === 1, 'frame through the broker process');
      const links = (await (await fetch(`${ready.control}/links/plc:dc1`)).json()) as { profile: { queueFrames: number } };
      expect(links.profile.queueFrames).toBe(16);
      const interceptors = (await (await fetch(`${ready.control}/interceptors`)).json()) as { id: string }[];
      expect(interceptors.map((i) => i.id)).toEqual(['slow-up']);
      await tn.close();
      await dc.close();
      const [host, port] = ready.bridges[0]!.listen.split(':');
      const echoed = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: host!, port: Number(port), allowHalfOpen: true });
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.end('through the PLC model');
      });
      expect(echoed).toBe('through the PLC model');
      await waitFor(() => existsSync(metricsFile) && readFileSync(metricsFile, 'utf8').includes('"channel"'), 'a channel sample');
    } finally {
      child.kill('SIGTERM');
      echo.close();
    }
    expect(await exited).toBe(0);
    const sample = JSON.parse(readFileSync(metricsFile, 'utf8').split('\n')[0]!) as { measurement: string; tags: Record<string, string> };
    expect(sample.measurement).toBe('channel');
    expect(sample.tags).toMatchObject({ link: 'plc:dc1', direction: 'up', kind: 'plc' });
  });
});
