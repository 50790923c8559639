/**
 * gridbench campaign against a lab without the hosts' operator channels: the attacker has the wire
 * through the broker's attack port; a step that needs the nodes' operations fails, is named with
 * its campaign and step, and says what it needs (--state and --host, or `gridbench run
 * --processes`). The wire steps still act. With them: lab-operator.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { command as campaign } from '../../bench/cli/commands/campaign';
import { startAttackPort } from '../../channel/attack-port';
import { zmqWire } from '../channel/wire-bench';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-lab-campaign-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'lab-campaign-test-token';

describe('gridbench campaign against a lab', () => {
  it('names a step that needs the nodes and says what it needs (--host, or run --processes); the wire steps act', async () => {
    const wire = await zmqWire({ dcs: 1, tns: 2 });
    const port = await startAttackPort(wire.broker.control, { endpoint: 'tcp://127.0.0.1:0', token: TOKEN });
    writeFileSync(
      join(dir, 'lab.yaml'),
      [
        'name: lab-steps',
        'goal: fresh_authentic_DC',
        'steps:',
        '  - { at: 0s, interceptor: { id: hold, type: drop, match: { link: plc:dc1 } } }',
        '  - { at: 100ms, automation: { dc: dc1, relay: on } }',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'scenario.yaml'), 'name: lab\nmodes: [lean]\ntopology: { dcs: 1, tnsPerDc: 2 }\ncampaigns: [./lab.yaml]\n');
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((l: string) => void out.push(l));
    vi.spyOn(console, 'error').mockImplementation((l: string) => void err.push(l));
    try {
      const code = await campaign.run([
        '--scenario',
        join(dir, 'scenario.yaml'),
        '--attack',
        port.endpoint,
        '--token',
        TOKEN,
        '--duration',
        '1s',
      ]);
      expect(code).toBe(1);
    } finally {
      vi.restoreAllMocks();
      await port.close();
      await wire.close();
    }
    const { failedSteps } = JSON.parse(out.at(-1)!) as { failedSteps: { campaign: string; step: number; kind: string; error: string }[] };
    expect(failedSteps).toHaveLength(1);
    expect(failedSteps[0]).toMatchObject({ campaign: 'lab-steps', step: 1, kind: 'automation' });
    expect(failedSteps[0]!.error).toMatch(
      /automation: needs the nodes' operations.*--host SELECTION=tcp:\/\/HOST:PORT.*gridbench run --processes/,
    );
    expect(err.some((l) => /lab-steps, step 1 \(automation\) failed/.test(l))).toBe(true);
  });

  it('refuses --host selections that share a node, naming both and the node, before connecting to anything', async () => {
    writeFileSync(join(dir, 'hosts.yaml'), 'name: lab\nmodes: [lean]\ntopology: { dcs: 1, tnsPerDc: 2 }\n');
    const run = async (...hosts: string[]) => {
      const err: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((l: string) => void err.push(l));
      try {
        const args = ['--scenario', join(dir, 'hosts.yaml'), '--attack', 'tcp://127.0.0.1:9', '--token', TOKEN, '--state', dir];
        return { code: await campaign.run([...args, ...hosts.flatMap((h) => ['--host', h])]), err: err.join('\n') };
      } finally {
        vi.restoreAllMocks();
      }
    };
    const twice = await run('hes=tcp://127.0.0.1:7001', 'tns:dc1=tcp://127.0.0.1:7002', 'hes=tcp://127.0.0.1:7003');
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('--host hes and --host hes both select hes');
    const overlapping = await run('tns:dc1=tcp://127.0.0.1:7001', 'dc1,tn1.002=tcp://127.0.0.1:7002');
    expect(overlapping.code).toBe(1);
    expect(overlapping.err).toContain("--host tns:dc1 and --host dc1,tn1.002 both select tn1.002: give each node's host once");
  });
});
