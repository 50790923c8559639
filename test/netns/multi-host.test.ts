/**
 * The distributed bench across hosts: network namespaces joined by veth pairs to a bridge stand
 * for the machines (the broker in one, the HES in another, each DC with its TN host in one of its
 * own, the attacker in one more). The broker binds its node socket, its control API (with its
 * token) and its attack port to its host's address; the nodes and the attacker reach them across
 * the bridge. A campaign run from the attacker's host through the attack port records, replays,
 * alters and forges automation commands on dc1's segment; the TNs in the other hosts refuse them,
 * attributed to the campaign and goal. The test makes its namespaces and removes them (it needs
 * root, as the machines run tests); about 70 s on 2 cores.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'cli', 'gridbench.ts');
const dir = mkdtempSync(join(tmpdir(), 'gridbench-netns-'));
const tag = (process.pid % 9000) + 1000;
const subnet = `10.${200 + (tag % 50)}.${tag % 250}`;
const TOKEN = 'multi-host-test-token-0123456789';
const hosts = { broker: 1, hes: 2, dc1: 11, dc2: 12, att: 9 } as const;
type HostName = keyof typeof hosts;
const ns = (h: HostName) => `gb${tag}${h}`;
const addr = (h: HostName) => `${subnet}.${hosts[h]}`;
const children: ChildProcess[] = [];

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (h: HostName, ...args: string[]) => ip('netns', 'exec', ns(h), ...args);

/** Why namespaces cannot be made here, or undefined when they can. */
function cannotMakeNamespaces(): string | undefined {
  try {
    ip('netns', 'add', `gb${tag}probe`);
    ip('netns', 'del', `gb${tag}probe`);
    return undefined;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return `this test makes network namespaces with ip netns and veth pairs, which needs root (CAP_NET_ADMIN) and iproute2: ${stderr || (err as Error).message}`;
  }
}

function makeHosts(): void {
  for (const h of Object.keys(hosts) as HostName[]) {
    ip('netns', 'add', ns(h));
    inNs(h, 'ip', 'link', 'set', 'lo', 'up');
  }
  inNs('broker', 'ip', 'link', 'add', 'br0', 'type', 'bridge');
  inNs('broker', 'ip', 'addr', 'add', `${addr('broker')}/24`, 'dev', 'br0');
  inNs('broker', 'ip', 'link', 'set', 'br0', 'up');
  for (const h of Object.keys(hosts) as HostName[]) {
    if (h === 'broker') continue;
    const [near, far] = [`v${tag}${h}`, `b${tag}${h}`];
    ip('link', 'add', near, 'type', 'veth', 'peer', 'name', far);
    ip('link', 'set', near, 'netns', ns(h));
    ip('link', 'set', far, 'netns', ns('broker'));
    inNs('broker', 'ip', 'link', 'set', far, 'master', 'br0', 'up');
    inNs(h, 'ip', 'addr', 'add', `${addr(h)}/24`, 'dev', near);
    inNs(h, 'ip', 'link', 'set', near, 'up');
  }
}

function removeHosts(): void {
  for (const h of Object.keys(hosts) as HostName[])
    try {
      ip('netns', 'del', ns(h));
    } catch {
      // not made
    }
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  removeHosts();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `gridbench ARGS` in a host; resolves its output and exit code when it ends. */
function gridbench(h: HostName, args: string[], env: Record<string, string> = {}) {
  const child = spawn('ip', ['netns', 'exec', ns(h), process.execPath, '--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return { child, ended, output: () => out };
}

async function until(check: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the distributed bench across hosts', () => {
  it('runs nodes on four hosts and a campaign from a fifth through the broker host', async () => {
    const problem = cannotMakeNamespaces();
    if (problem) throw new Error(problem);
    makeHosts();
    const scenario = join(dir, 'lab.yaml');
    writeFileSync(
      join(dir, 'net.yaml'),
      [
        'name: net',
        'goal: fresh_authentic_DC',
        'steps:',
        '  - { at: 0s, record: { id: commands, match: { link: plc:dc1, class: automation } } }',
        '  - { at: 5s, replay: { recording: commands, pick: all } }',
        '  - { at: 5s, replay: { recording: commands, pick: last, as: { from: dc2, to: "*" } } }',
        '  - { at: 6s, interceptor: { id: flip, type: tamper, match: { link: plc:dc1, class: automation }, config: { flipBits: 1, minOffset: 14 } } }',
        '  - { at: 9s, remove: flip }',
        '  - at: 9s',
        '    forge: { class: automation, signer: attacker, from: dc1, to: "*", fields: { dc: dc1, group: dc1, counter: 4000000000, relay: 1 } }',
      ].join('\n'),
    );
    writeFileSync(
      scenario,
      [
        'name: lab',
        'seed: 3',
        'modes: [lean]',
        // each host's run counts from its own enrolment, and dc1 commands from the first second of
        // its run: the campaign, which starts once every host enrolled, must still find commands to
        // record (at 25 s, under load average 11, it found none and injected its forgery alone)
        'duration: 40s',
        'topology: { dcs: 2, tnsPerDc: 2 }',
        'channel: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
        'workload:',
        '  automation: [{ every: 1s, dc: all, relay: [on, off] }]',
        'campaigns: [net.yaml]',
      ].join('\n'),
    );
    const groups: [string, HostName][] = [
      ['hes', 'hes'],
      ['dc1', 'dc1'],
      ['tns:dc1', 'dc1'],
      ['dc2', 'dc2'],
      ['tns:dc2', 'dc2'],
    ];
    const state = (g: string) => join(dir, 'host-state', g.replace(':', '-'));
    execFileSync(process.execPath, [
      '--import',
      'tsx',
      CLI,
      'provision',
      '--scenario',
      scenario,
      '--state',
      join(dir, 'state'),
      ...groups.flatMap(([g]) => ['--host', `${g}=${state(g)}`]),
      // the broker's keys: nodes prove who they are on its wire (channel/broker-auth.ts)
      '--host',
      `channel=${state('channel')}`,
    ]);
    const channel = join(dir, 'channel.yaml');
    writeFileSync(
      channel,
      [
        'seed: 3',
        'topology: { generate: { dcs: 2, tnsPerDc: 2 } }',
        'links: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
        `broker: { endpoint: "tcp://${addr('broker')}:5555", keys: ${state('channel')} }`,
        `control: { host: ${addr('broker')}, port: 8474, token: ${TOKEN} }`,
        `attack: { endpoint: "tcp://${addr('broker')}:5600", token: ${TOKEN} }`,
      ].join('\n'),
    );
    const broker = gridbench('broker', ['channel', '--config', channel]);
    await until(() => broker.output().includes(`tcp://${addr('broker')}:5600`), 'the broker on its host', 30_000);

    const nodes = groups.map(([g, h]) =>
      gridbench(h, [
        'node',
        '--scenario',
        scenario,
        '--nodes',
        g,
        '--broker',
        `tcp://${addr('broker')}:5555`,
        '--state',
        state(g),
        '--run',
        'lab',
        '--results',
        join(dir, 'results'),
      ]),
    );
    await until(() => nodes.every((n) => /enrolled/.test(n.output())), 'every host enrolled', 90_000);

    // the control API answers on the broker host's address, to its token only
    const status = (auth: string) =>
      inNs(
        'att',
        process.execPath,
        '-e',
        `fetch('http://${addr('broker')}:8474/stats',{headers:{authorization:'${auth}'}}).then(r=>console.log(r.status))`,
      ).trim();
    expect(status(`Bearer ${TOKEN}`)).toBe('200');
    expect(status('Bearer nope')).toBe('401');

    const attack = gridbench('att', ['campaign', '--scenario', scenario, '--attack', `tcp://${addr('broker')}:5600`, '--duration', '12s'], {
      GRIDBENCH_ATTACK_TOKEN: TOKEN,
    });
    const attacked = await attack.ended;
    expect(attacked.code, attacked.out).toBe(0);
    const report = JSON.parse(attacked.out.trim().split('\n').at(-1)!) as { injected: Record<string, number>; failedSteps: unknown[] };
    expect(report.failedSteps).toEqual([]);
    expect(report.injected['net:fresh_authentic_DC']).toBeGreaterThan(3);

    const ends = await Promise.all(nodes.map((n) => n.ended));
    expect(ends.map((e) => e.code)).toEqual([0, 0, 0, 0, 0]);
    broker.child.kill('SIGTERM');
    await broker.ended;
    // the TNs, in the DCs' hosts, refused the attacker's frames and named the campaign and goal
    const refused = (g: string) => {
      const file = join(dir, 'results', 'lab', g.replace(':', '-'), 'metrics.lp');
      if (!existsSync(file)) return 0;
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('frame_rejected,') && /attack=net:fresh_authentic_DC/.test(l)).length;
    };
    expect(refused('tns:dc1')).toBeGreaterThan(2);
    expect(refused('tns:dc2')).toBeGreaterThan(0);
  }, 180_000);
});
