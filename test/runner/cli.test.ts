/**
 * gridbench run as a user types it: exit 0 when every threshold holds, 99 when one fails, 1 on an
 * error with one message naming the problem; results/<run-id>/ holds summary.json, metrics.lp
 * and report.html.
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gridbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/cli/gridbench.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenario(name: string, extra: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'modes: [lean]',
      'duration: 3m',
      'topology: { dcs: 1, tnsPerDc: 5 }',
      'channel: { plc: { preset: g3-plc-cenelec-a }, wan: { preset: dsl } }',
      'workload: { automation: [{ every: 30s, dc: dc1, relay: [on, off] }] }',
      extra,
    ].join('\n'),
  );
  return file;
}

describe('gridbench run', () => {
  it('exits 0 when the thresholds hold, prints the summary table and writes the results', () => {
    const r = gridbench(
      'run',
      scenario('passing', 'thresholds: { "automation_latency_ms{mode:lean}": ["p(99)<2000"] }'),
      '--results',
      join(dir, 'results'),
      '--quiet',
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/automation latency p50 \/ p99 \(ms\)/);
    expect(r.stdout).toMatch(/ok {5}automation_latency_ms\{mode:lean\}: p\(99\)<2000/);
    const runDir = /results: (\S+)\//.exec(r.stdout)![1]!;
    for (const f of ['summary.json', 'metrics.lp', 'report.html']) expect(existsSync(join(runDir, f))).toBe(true);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary.ok).toBe(true);
    expect(summary.modes.lean.automation.count).toBeGreaterThan(0);
    expect(readFileSync(join(runDir, 'metrics.lp'), 'utf8')).toMatch(/^automation_latency,.*mode=lean.* latency_ms=/m);
  });

  it('exits 99 when a threshold fails', () => {
    const r = gridbench(
      'run',
      scenario('failing', 'thresholds: { "automation_latency_ms{mode:lean}": ["p(99)<1"] }'),
      '--results',
      join(dir, 'results'),
      '--quiet',
    );
    expect(r.code).toBe(99);
    expect(r.stdout).toMatch(/FAILED automation_latency_ms\{mode:lean\}: p\(99\)<1/);
  });

  it('exits 1 naming the field of a broken scenario', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'topology: { dcs: 1, tnsPerDc: 5 }\nchannel: { plc: { preset: g4-plc } }\n');
    const r = gridbench('run', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml: channel\.plc\.preset: unknown preset "g4-plc"/);
  });

  it('exits 1 naming a bad --out and a missing scenario', () => {
    const bad = gridbench('run', scenario('out', ''), '--out', 'influxdb=localhost:8086/db', '--results', join(dir, 'results'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--out influxdb=localhost:8086\/db: .*http/);
    const missing = gridbench('run', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.yaml: \(file\): no such scenario file/);
  });
});

describe('gridbench run --workers', () => {
  // the helper's own topology line comes first: the one asked for here replaces it
  const twoDcs = (): string => {
    const file = scenario('partitioned', 'topology: { dcs: 2, tnsPerDc: 3 }');
    writeFileSync(file, readFileSync(file, 'utf8').replace('topology: { dcs: 1, tnsPerDc: 5 }\n', ''));
    return file;
  };

  // a run on two worker threads: each thread loads the bench's TypeScript, 20 s or more on a loaded machine
  it('runs the partitioned engine on worker threads and writes the same results', { timeout: 150_000 }, () => {
    const file = twoDcs();
    const r = gridbench('run', file, '--workers', '2', '--partitions', '2', '--results', join(dir, 'results'), '--quiet');
    expect(r.stderr).toMatch(/partitioned on 2 worker thread\(s\)/);
    expect(r.stderr).toMatch(/partitioned: 3 partitions \(the HES's and 2 of segments\) on 2 worker thread\(s\), lookahead \d+ ms/);
    expect(r.code).toBe(0);
    const runDir = /results: (\S+)\//.exec(r.stdout)![1]!;
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
    expect(summary.modes.lean.bootstrap.enrolled).toBe(6);
    expect(summary.modes.lean.automation.count).toBeGreaterThan(0);
  });

  // five gridbench processes, one after another
  it('names a bad --workers or --partitions', { timeout: 120_000 }, () => {
    const file = twoDcs();
    for (const [args, error] of [
      [['--workers', '0'], /gridbench run: --workers 0: expected a whole number of at least 1/],
      [['--workers', 'two'], /gridbench run: --workers two: expected a whole number/],
      [['--workers', '1', '--partitions', '3'], /gridbench run: --partitions 3: more than the scenario's 2 DC\(s\) \(topology.dcs\)/],
      [['--partitions', '2'], /gridbench run: --partitions P goes with --workers N/],
      [['--workers', '1', '--processes'], /gridbench run: --workers and --processes are two engines/],
    ] as const) {
      const bad = gridbench('run', file, ...args, '--results', join(dir, 'results'), '--quiet');
      expect(bad.code, args.join(' ')).toBe(1);
      expect(bad.stderr).toMatch(error);
    }
  });
});

describe('gridbench validate and presets', () => {
  it('validates the default scenario and lists the presets', () => {
    const v = gridbench('validate', 'bench/scenarios/default.yaml');
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/default\.yaml: ok: default, modes lean \+ smgw-tls, 2 DCs x 50 TNs/);
    const p = gridbench('presets');
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/g3-plc-cenelec-a/);
    expect(p.stdout).toMatch(/prime-1\.3-cenelec-a/);
    // The uplink rate of an asymmetric link is shown beside its downlink rate.
    expect(p.stdout).toMatch(/^dsl +14490\.6 kbit\/s +905\.7 kbit\/s/m);
  });
});

describe('gridbench provision', () => {
  it("makes every key once and hands each --host its own nodes' share; a bad --host is named", () => {
    const file = join(dir, 'provisioned.yaml');
    writeFileSync(file, ['name: provisioned', 'modes: [lean, smgw-tls]', 'topology: { dcs: 1, tnsPerDc: 5 }'].join('\n'));
    const state = join(dir, 'provision-state');
    const tns = join(dir, 'provision-hosts', 'tns-dc1');
    const r = gridbench('provision', '--scenario', file, '--state', state, '--host', `tns:dc1=${tns}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`tns:dc1: 5 nodes' secrets in ${tns}`);
    expect(existsSync(join(state, 'smgw-tls-pki', 'root-key.pem'))).toBe(true);
    expect(readdirSync(tns).sort()).toEqual([
      'channel',
      'lean-provisioning.json',
      'smgw-tls-pki',
      'tn1.001',
      'tn1.002',
      'tn1.003',
      'tn1.004',
      'tn1.005',
    ]);
    expect(readdirSync(join(tns, 'smgw-tls-pki')).filter((f) => f.endsWith('-key.pem'))).toHaveLength(5);
    // The host proves its nodes to the broker with their own CURVE keys, and never holds the broker's secret;
    // it takes the operator's orders with its own key, and holds the operator's public key only.
    expect(readdirSync(join(tns, 'channel')).sort()).toEqual(['broker.pub', 'nodes', 'operator-host.key.json', 'operator.pub']);
    const operatorPublic = readFileSync(join(state, 'channel', 'operator.pub'), 'utf8');
    expect(readFileSync(join(tns, 'channel', 'operator.pub'), 'utf8')).toBe(operatorPublic);
    const operatorKey = JSON.parse(readFileSync(join(state, 'channel', 'operator.key.json'), 'utf8')) as { secretKey: string };
    expect(operatorKey.secretKey).toHaveLength(40);
    expect(readFileSync(join(tns, 'channel', 'operator-host.key.json'), 'utf8')).not.toContain(operatorKey.secretKey);
    // the broker's share, the attacker's position: nothing of the operator channel; the token of the
    // attack port it serves (provisioning makes it, docker/lab/channel.yaml reads it)
    const channel = join(dir, 'provision-hosts', 'channel');
    expect(gridbench('provision', '--scenario', file, '--state', state, '--host', `channel=${channel}`).code).toBe(0);
    expect(readdirSync(join(channel, 'channel')).sort()).toEqual([
      'attack.token',
      'broker-client-keys.json',
      'broker.key.json',
      'broker.pub',
      'nodes',
    ]);
    expect(readdirSync(join(tns, 'channel', 'nodes')).sort()).toEqual(
      ['tn1.001', 'tn1.002', 'tn1.003', 'tn1.004', 'tn1.005'].map((tn) => `${tn}.key.json`),
    );

    const bad = gridbench('provision', '--scenario', file, '--state', state, '--host', 'tns:dc1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--host tns:dc1: expected SELECTION=DIR');
    const unknown = gridbench('provision', '--scenario', file, '--state', state, '--host', `dc7=${join(dir, 'x')}`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"dc7" is not a node');
  });
});

describe('gridbench node', () => {
  /** gridbench node as gridbench run --processes starts a host: forked, with an IPC channel to its parent. */
  function forkedNode(args: string[], stopAt?: RegExp): Promise<{ code: number | null; stderr: string }> {
    const child = fork('bench/cli/gridbench.ts', ['node', ...args], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stopAt?.test(stderr)) child.kill();
    });
    // a host that took --operator would go on to connect to the broker: stopped after 30 s, it fails below
    const stop = setTimeout(() => child.kill(), 30_000);
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(stop);
        resolve({ code, stderr });
      }),
    );
  }

  it('refuses --operator under a --processes parent, naming the option: the parent is its one operator', async () => {
    const file = join(dir, 'node-operator.yaml');
    writeFileSync(file, ['name: node-operator', 'modes: [lean]', 'topology: { dcs: 1, tnsPerDc: 2 }'].join('\n'));
    const state = join(dir, 'node-operator-state');
    const share = join(dir, 'node-operator-hosts', 'tns-dc1');
    expect(gridbench('provision', '--scenario', file, '--state', state, '--host', `tns:dc1=${share}`).code).toBe(0);
    const args = ['--scenario', file, '--nodes', 'tns:dc1', '--broker', 'tcp://127.0.0.1:1', '--state', share];
    const refused = await forkedNode([...args, '--operator', 'tcp://127.0.0.1:0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('gridbench node: --operator: not offered to a host of gridbench run --processes');
    // the same host without --operator is not refused for it: it goes on to its broker (none there)
    const host = await forkedNode(args, /connect tcp:/);
    expect(host.stderr).not.toContain('--operator: not offered');
    expect(host.stderr).toContain('gridbench node tns:dc1: connect tcp://127.0.0.1:1');
  }, 90_000);
});
