/**
 * Key custody (issue 11 item 3): the manufacturer's root secret stays in the operator's state
 * directory. `gridbench provision --host` hands every host, the HES's included, only its own
 * nodes' secrets; the HES signs firmware with its own key, which the root certified. Every host
 * state directory provisioning writes, for both modes and for the docker lab's volumes, is
 * scanned for the roots' private key bytes (raw, hex, base64, PEM) and for the operator channel's
 * secret key (Z85, raw; issue 12: whoever holds it orders every host's node operations), and every
 * node host's for the broker's attack port token. The operator keeps only the hosts' public keys:
 * its state is not a second copy of every host's secret.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { command as provision } from '../../bench/cli/commands/provision';
import { loadScenario } from '../../bench/scenario/load';
import { loadHostState } from '../../bench/runner/provision';
import { loadAttackToken, z85Key } from '../../channel/broker-auth';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { VirtualClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import { Topology } from '../../core/topology';
import { createMode } from '../../nodes/modes';
import { peekClassName } from '../../nodes/protocol/message-class';
import { stateStoreFor } from '../../nodes/store/state-dir';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-custody-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every form the roots' private keys and the operator's secret key of a provisioned state directory could take on a disk. */
function rootSecrets(state: string): Buffer[] {
  const forms: Buffer[] = [];
  const operator = JSON.parse(readFileSync(join(state, 'channel', 'operator.key.json'), 'utf8')) as { secretKey: string };
  forms.push(Buffer.from(operator.secretKey), Buffer.from(z85Key(operator.secretKey)!));
  const lean = join(state, 'manufacturer', 'root-key');
  const leanKey = readdirSync(state).includes('manufacturer')
    ? (JSON.parse(readFileSync(lean, 'utf8')) as { secretKey: string })
    : undefined;
  if (leanKey) {
    const raw = Buffer.from(leanKey.secretKey, 'hex');
    forms.push(raw, Buffer.from(leanKey.secretKey), Buffer.from(leanKey.secretKey.toUpperCase()), Buffer.from(raw.toString('base64')));
  }
  if (readdirSync(state).includes('smgw-tls-pki')) {
    const pem = readFileSync(join(state, 'smgw-tls-pki', 'root-key.pem'), 'utf8');
    const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    forms.push(Buffer.from(body.slice(0, 64)), Buffer.from(body, 'base64'));
  }
  return forms;
}

/** Runs `gridbench provision` and returns each --host directory with the files in it that hold a root secret. */
async function provisioned(scenario: string, state: string, hosts: [string, string][]): Promise<Record<string, string[]>> {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const args = ['--scenario', scenario, '--state', state, ...hosts.flatMap(([selection, to]) => ['--host', `${selection}=${to}`])];
  expect(await provision.run(args)).toBe(0);
  vi.restoreAllMocks();
  const secrets = rootSecrets(state);
  expect(secrets.length).toBeGreaterThan(0);
  const leaks: Record<string, string[]> = {};
  // the broker's attack port token is the broker's (the attacker's position) and the operator's: no node host's
  const token = Buffer.from(loadAttackToken(state));
  for (const [selection, to] of hosts) {
    const held = selection === 'channel' ? secrets : [...secrets, token];
    leaks[selection] = filesUnder(to).filter((file) => held.some((secret) => readFileSync(file).includes(secret)));
  }
  // what the operator keeps of each host's operator channel key pair: the public key only
  const hostKeys = join(state, 'channel', 'hosts');
  const kept = filesUnder(hostKeys).map((file) => Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object));
  expect(kept.length).toBe(hosts.filter(([selection]) => selection !== 'channel').length);
  expect(kept).toEqual(kept.map(() => ['publicKey']));
  return leaks;
}

describe('key custody', () => {
  it('hands no host of either mode a root secret, and a HES host rolls out firmware from its own share', async () => {
    const scenario = join(dir, 'both.yaml');
    writeFileSync(scenario, 'modes: [lean, smgw-tls]\ntopology: { dcs: 2, tnsPerDc: 2 }\n');
    const state = join(dir, 'state');
    const selections = ['hes', 'dc1', 'dc2', 'tns:dc1', 'tns:dc2', 'hes,dc1,tns:dc1'];
    const hosts = selections.map((s): [string, string] => [s, join(dir, 'hosts', s.replace(/[:,]/g, '-'))]);
    const leaks = await provisioned(scenario, state, hosts);
    expect(leaks).toEqual(Object.fromEntries(selections.map((s) => [s, []])));
    // the operator's state keeps the root; it is the only place that does
    expect(filesUnder(state).filter((f) => rootSecrets(state).some((s) => readFileSync(f).includes(s))).length).toBeGreaterThan(0);

    // one process running the HES, dc1 and its TNs, each node from the share its host was handed
    const topology = Topology.build(2, 2);
    const shareOf = (node: string) => (node === 'hes' ? hosts[0]![1] : hosts[5]![1]);
    const local = (node: string) => node === 'hes' || node === 'dc1' || topology.dcOf(node) === 'dc1';
    const clock = new VirtualClock();
    const network = createEmulatedNetwork({ topology, clock, random: new Random(1), classify: peekClassName });
    const mode = createMode('lean', {
      topology,
      network,
      clock,
      metrics: NO_METRICS,
      random: new Random(1),
      storeFor: (node, generation) => stateStoreFor(shareOf(node))(node, generation),
      local,
      options: { ...loadHostState(loadScenario(scenario), hosts[0]![1], 'lean', local), firmware: { passes: 1, chunkIntervalMs: 10 } },
    });
    try {
      await clock.drive(Promise.all([...mode.dcs.values()].map((dc) => dc.bootstrap())));
      await clock.drive(Promise.all([...mode.tns.values()].map((tn) => tn.bootstrap())));
      const report = await clock.drive(mode.firmware({ version: 2, image: new Uint8Array(1_000).fill(7) }, 60_000));
      expect(report).toMatchObject({ installed: 2, missing: [] });
    } finally {
      await Promise.all([mode.close(), network.close()]);
    }
  });

  it("leaves no root secret in any of the docker lab's node volumes", async () => {
    const compose = parse(readFileSync(join(__dirname, '../../docker/compose.yaml'), 'utf8')) as {
      services: { provision: { command: string; volumes: string[] } };
    };
    const args = compose.services.provision.command.split(/\s+/);
    const scenario = args[args.indexOf('--scenario') + 1]!.replace(/^\/bench\//, join(__dirname, '../../docker/lab/'));
    const hosts = args
      .flatMap((arg, i) => (args[i - 1] === '--host' ? [arg.split('=') as [string, string]] : []))
      .map(([selection, volume]): [string, string] => [selection, join(dir, 'lab', volume)]);
    expect(hosts.map(([s]) => s)).toEqual(['hes', 'dc1', 'dc2', 'tns:dc1', 'tns:dc2', 'channel']);
    const leaks = await provisioned(scenario, join(dir, 'lab', 'state'), hosts);
    expect(leaks).toEqual(Object.fromEntries(hosts.map(([s]) => [s, []])));
  });
});
