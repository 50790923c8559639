/**
 * gridbench run --processes in smgw-tls mode: the broker, the HES, each DC and the TN hosts as
 * separate OS processes over ZeroMQ TCP on loopback, on the real clock, with the PKI provisioned
 * once in the shared state directory. Real TLS handshakes cross the broker; the HES's process
 * issues the automation commands, and each TN measures them from that issue.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selectNodes } from '../../bench/runner/node-selection';
import { runProcesses } from '../../bench/runner/processes';
import { exportHostState, provisionState } from '../../bench/runner/provision';
import { loadScenario } from '../../bench/scenario/load';
import { Topology } from '../../core/topology';
import { PkiAuthority } from '../../nodes/smgw-tls/pki';
import { loadStatePki, TLS_PKI_STORE } from '../../nodes/smgw-tls/provisioning';
import { tlsFrameHeaderBytes } from '../../nodes/smgw-tls/tls-frame';
import { automationPlaintextBytes, TLS_RECORD_OVERHEAD } from '../../nodes/smgw-tls/tls-mode';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-processes-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenarioFile(name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [`name: ${name}`, ...lines].join('\n'));
  return file;
}

/** The lines of metrics.lp of one measurement, as their tags and fields. */
function points(lp: string, measurement: string): Array<Record<string, string>> {
  return lp
    .split('\n')
    .filter((l) => l.startsWith(`${measurement},`))
    .map((l) =>
      Object.fromEntries(
        l
          .split(' ')
          .slice(0, 2)
          .join(',')
          .split(',')
          .slice(1)
          .map((kv) => kv.split('=') as [string, string]),
      ),
    );
}

describe('--processes, smgw-tls', () => {
  it('runs real TLS channels between processes: handshakes over the broker, automation from the HES accepted by every TN, a meter round', async () => {
    const file = scenarioFile('processes-tls', [
      'modes: [smgw-tls]',
      'duration: 15s',
      'topology: { dcs: 2, tnsPerDc: 2 }',
      'boards: [{ tn: tn1.001, kind: virtual }]',
      'channel: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
      'workload:',
      '  meterRounds: { at: 1s, timeout: 8s }',
      '  automation: [{ every: 3s, dc: all, relay: [on, off] }]',
    ]);
    const children = new Map<string, ChildProcess>();
    const result = await runProcesses(loadScenario(file), { resultsRoot: dir, onProcess: (name, child) => children.set(name, child) });
    expect(new Set([...children.values()].map((c) => c.pid)).size).toBe(6);
    const processes = Object.fromEntries(result.summary.processes!.map((p) => [p.name, p.outcome]));
    // the DC processes only route: had they issued the commands they would have failed
    expect(processes).toEqual({ channel: 'ok', hes: 'ok', dc1: 'ok', dc2: 'ok', 'tns:dc1': 'ok', 'tns:dc2': 'ok' });
    expect(Object.keys(result.summary.modes)).toEqual(['smgw-tls']);
    const tls = result.summary.modes['smgw-tls']!;
    expect(tls.bootstrap).toMatchObject({ enrolled: 4, failed: [] });
    expect(tls.meterRounds).toMatchObject({ rounds: 1, missing: 0 });

    const lp = readFileSync(join(result.runDir, 'metrics.lp'), 'utf8');
    // a full handshake per TN, each over the broker between a TN host and the HES's process
    const handshakes = points(lp, 'handshake').filter((p) => p.kind === 'full');
    expect(new Set(handshakes.map((p) => p.tn))).toEqual(new Set(['tn1.001', 'tn1.002', 'tn2.001', 'tn2.002']));
    expect(tls.handshakes.meanBytes).toBeGreaterThan(1_000);

    // every command went once down each TN's channel of the segment: one record and its acknowledgement
    expect(tls.automation.commands).toBeGreaterThanOrEqual(8);
    expect(tls.automation.addressed).toBe(2 * tls.automation.commands);
    expect(tls.bytesPerCommand).toBe(2 * (2 * tlsFrameHeaderBytes('tn1.001') + TLS_RECORD_OVERHEAD + automationPlaintextBytes()));
    const accepted = points(lp, 'automation_latency');
    for (const counter of ['1', '2', '3']) {
      const tns = accepted.filter((p) => p.counter === counter).map((p) => p.tn);
      expect(tns.sort()).toEqual(['tn1.001', 'tn1.002', 'tn2.001', 'tn2.002']);
    }
    // measured from the HES's issue, which crossed the processes beside the TLS bytes: at least a
    // PLC frame time, where the TN's own decryption alone takes well under a millisecond
    const latencies = accepted.map((p) => Number(p.latency_ms));
    expect(Math.min(...latencies)).toBeGreaterThan(10);
    expect(Math.max(...latencies)).toBeLessThan(5_000);
    expect(tls.relay.count).toBeGreaterThan(0);
    expect(result.summary.clock).toBe('real');
  }, 120_000);

  it('provisions the PKI once (private keys 0600), completes it for a larger topology and names what does not fit', () => {
    const state = join(dir, 'state');
    const lines = (tnsPerDc: number, curve = 'P-256') => [
      'modes: [smgw-tls]',
      `topology: { dcs: 1, tnsPerDc: ${tnsPerDc} }`,
      `smgw-tls: { curve: ${curve} }`,
    ];
    const tnsOf = (tns: string[]) => (node: string) => tns.includes(node);
    provisionState(loadScenario(scenarioFile('p2', lines(2))), state);
    const pkiDir = join(state, TLS_PKI_STORE);
    for (const key of ['root-key.pem', 'manufacturer-key.pem', 'hes-key.pem', 'tn1.001-key.pem'])
      expect(statSync(join(pkiDir, key)).mode & 0o777).toBe(0o600);
    expect(statSync(join(pkiDir, 'tn1.001-cert.pem')).mode & 0o777).toBe(0o644);
    const first = loadStatePki(state, Topology.build(1, 2), tnsOf(['tn1.001', 'tn1.002']));

    // a PKI provisioned before firmware had a key of its own gets one; what was issued stays
    rmSync(join(pkiDir, 'manufacturer-key.pem'));
    rmSync(join(pkiDir, 'manufacturer-pub.pem'));
    provisionState(loadScenario(scenarioFile('p3', lines(3))), state);
    const three = Topology.build(1, 3);
    const again = loadStatePki(state, three, tnsOf(['tn1.001', 'tn1.003']));
    expect(again.rootPem).toBe(first.rootPem);
    expect(again.tn('tn1.001')).toEqual(first.tn('tn1.001'));
    expect(again.tn('tn1.003').certPem).toContain('BEGIN CERTIFICATE');
    expect(statSync(join(pkiDir, 'manufacturer-key.pem')).mode & 0o777).toBe(0o600);

    expect(() => provisionState(loadScenario(scenarioFile('pb', lines(3, 'brainpoolP256r1'))), state)).toThrow(
      /smgw-tls-pki\/pki\.json: the PKI is on P-256, the scenario's smgw-tls\.curve is brainpoolP256r1/,
    );
    const four = Topology.build(1, 4);
    expect(() => loadStatePki(state, four, tnsOf(['tn1.004']))).toThrow(/smgw-tls-pki\/tn1\.004-cert\.pem: missing/);
  });

  it("each host is handed only its own secrets: no host the root's key, only the HES's host the HES's, a TN host its own TNs'", () => {
    const state = join(dir, 'state-hosts');
    const scenario = loadScenario(scenarioFile('hosts', ['modes: [smgw-tls]', 'topology: { dcs: 2, tnsPerDc: 2 }']));
    provisionState(scenario, state);
    const topology = Topology.build(2, 2);
    const pkiDir = join(state, TLS_PKI_STORE);
    const PUBLIC = ['manufacturer-pub.pem', 'pki.json', 'root-cert.pem'];
    /** The host's own state directory, what it holds, and the PKI it loads from there. */
    const host = (selection: string) => {
      const hostDir = join(dir, 'hosts', selection.replace(':', '-'));
      exportHostState(scenario, state, selection, hostDir);
      const nodes = new Set(selectNodes(selection, topology));
      const files = readdirSync(join(hostDir, TLS_PKI_STORE)).sort();
      for (const key of files.filter((f) => f.endsWith('-key.pem')))
        expect(statSync(join(hostDir, TLS_PKI_STORE, key)).mode & 0o777, key).toBe(0o600);
      return { files, pki: loadStatePki(hostDir, topology, (node) => nodes.has(node)) };
    };

    for (const selection of ['dc1', 'tns:dc1']) {
      const own = selection === 'tns:dc1' ? ['tn1.001', 'tn1.002'] : [];
      const { files, pki } = host(selection);
      expect(files, selection).toEqual([...PUBLIC, ...own.flatMap((tn) => [`${tn}-cert.pem`, `${tn}-key.pem`])].sort());
      expect(pki).not.toBeInstanceOf(PkiAuthority);
      expect(pki.hes).toBeUndefined();
      expect(pki.manufacturerKey).toBeUndefined();
      expect(() => pki.hesCredential()).toThrow(/smgw-tls-pki\/hes-key\.pem: the HES's private key is not held by this process/);
      expect(() => pki.firmwareSigningKey()).toThrow(/manufacturer-key\.pem/);
      expect(pki.tnIds).toEqual(own);
      expect(() => pki.tn('tn2.001')).toThrow(/tn2\.001-key\.pem: TN "tn2\.001"'s private key is not held/);
    }
    const hes = host('hes');
    expect(hes.files).toEqual([...PUBLIC, 'hes-cert.pem', 'hes-key.pem', 'manufacturer-key.pem'].sort());
    expect(hes.pki).not.toBeInstanceOf(PkiAuthority);
    expect(hes.pki.hesCredential().keyPem).toBe(readFileSync(join(pkiDir, 'hes-key.pem'), 'utf8'));
    expect(hes.pki.firmwareSigningKey().type).toBe('private');
    expect(hes.pki.tnIds).toEqual([]);
    // and from the full state directory, a host takes no more than that
    const tnHost = loadStatePki(state, topology, (node) => node === 'tn2.001');
    expect([tnHost.hes, tnHost.manufacturerKey, tnHost.tnIds]).toEqual([undefined, undefined, ['tn2.001']]);
    // a host handed a broken share is refused when it is handed, naming the file
    writeFileSync(join(pkiDir, 'tn2.001-cert.pem'), readFileSync(join(pkiDir, 'tn2.002-cert.pem')));
    expect(() => exportHostState(scenario, state, 'tns:dc2', join(dir, 'hosts', 'broken'))).toThrow(
      /tn2\.001-cert\.pem: names .*CN=tn2\.002.*, not tn2\.001/,
    );
  });
});
