/**
 * A lean provisioning file is what every node process of a distributed bench trusts: the
 * allow-list and the manufacturer's key. One that was truncated or edited by hand is refused
 * naming the file and the field, rather than loaded into a key that silently verifies nothing.
 *
 * A host's share is written again at every lab start: a compromised host that turned its key
 * files into symbolic links to the operator's own keys gets a refusal naming the link, and the
 * operator's keys stay as they were (core/replace-file.ts).
 */
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportHostState, provisionState } from '../../bench/runner/provision';
import { loadHostOperatorKeys, loadOperatorKeys } from '../../bench/runner/operator-keys';
import { LEAN_PROVISIONING, loadLeanProvisioning } from '../../nodes/lean/provisioning';
import { parseScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-provision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the lean provisioning file', () => {
  provisionState(parseScenario('topology: { dcs: 1, tnsPerDc: 2 }\n', 'inline.yaml'), dir);
  const file = join(dir, LEAN_PROVISIONING);
  const original = readFileSync(file, 'utf8');
  const provisioned = JSON.parse(original) as { allowList: Record<string, { fingerprint: string }>; manufacturerKey: string };
  const withFile = (json: unknown, check: () => void) => {
    writeFileSync(file, JSON.stringify(json));
    try {
      check();
    } finally {
      writeFileSync(file, original);
    }
  };

  it('loads as provisioned', () => {
    const loaded = loadLeanProvisioning(dir);
    expect(Buffer.from(loaded.manufacturerKey).toString('hex')).toBe(provisioned.manufacturerKey);
    expect(Object.keys(loaded.allowList.toJSON()).sort()).toEqual(['dc1', 'tn1.001', 'tn1.002']);
  });

  it('is refused, naming the field, when a key is cut short, not hex, or an entry is malformed', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { ...provisioned, manufacturerKey: provisioned.manufacturerKey.slice(0, -1) },
        /manufacturerKey: expected 33 bytes in lower-case hex/,
      ],
      [{ ...provisioned, manufacturerKey: `zz${provisioned.manufacturerKey.slice(2)}` }, /manufacturerKey: expected 33 bytes/],
      [
        { ...provisioned, allowList: { ...provisioned.allowList, 'tn1.001': { role: 'tn', dc: 'dc1', fingerprint: 'abc' } } },
        /allowList\.tn1\.001\.fingerprint: expected 32 bytes/,
      ],
      [
        {
          ...provisioned,
          allowList: { ...provisioned.allowList, dc1: { role: 'hes', fingerprint: provisioned.allowList.dc1!.fingerprint } },
        },
        /allowList\.dc1\.role/,
      ],
      [{ allowList: provisioned.allowList }, /manufacturerKey/],
    ];
    for (const [json, error] of cases)
      withFile(json, () =>
        expect(() => loadLeanProvisioning(dir)).toThrow(new RegExp(`lean-provisioning\\.json: not a lean provisioning.*${error.source}`)),
      );
    writeFileSync(file, '{"allowList": ');
    expect(() => loadLeanProvisioning(dir)).toThrow(/lean-provisioning\.json: cannot read the lean provisioning/);
    writeFileSync(file, original);
  });
});

describe("a host's share handed again", () => {
  it("refuses to write through a link the host planted, and the operator's keys stay as they were", () => {
    const root = join(dir, 'links');
    const state = join(root, 'state');
    const share = join(root, 'tns-dc1');
    const scenario = parseScenario('modes: [lean, smgw-tls]\ntopology: { dcs: 1, tnsPerDc: 2 }\n', 'inline.yaml');
    provisionState(scenario, state);
    exportHostState(scenario, state, 'tns:dc1', share);
    const channel = join(state, 'channel');
    const operatorKeys = () =>
      Object.fromEntries(readdirSync(channel).flatMap((f) => (f.endsWith('.json') ? [[f, readFileSync(join(channel, f), 'utf8')]] : [])));
    const before = operatorKeys();
    const shared = join(share, 'channel');
    // the compromised host links its files to the operator's secret keys
    const links: [string, string][] = [
      [join(shared, 'nodes', 'tn1.001.key.json'), join(channel, 'broker.key.json')],
      [join(shared, 'operator-host.key.json'), join(channel, 'operator.key.json')],
      [join(shared, 'operator.pub'), join(channel, 'operator.key.json')],
      [join(share, LEAN_PROVISIONING), join(channel, 'operator.key.json')],
    ];
    for (const [link, target] of links) {
      rmSync(link);
      symlinkSync(target, link);
      expect(() => exportHostState(scenario, state, 'tns:dc1', share)).toThrow(`${link}: is a symbolic link; refusing to write`);
      expect(operatorKeys()).toEqual(before);
      rmSync(link);
    }
    // with the links gone, the host's share is whole again: files of its own, its keys its own
    exportHostState(scenario, state, 'tns:dc1', share);
    expect(operatorKeys()).toEqual(before);
    for (const file of ['nodes/tn1.001.key.json', 'operator-host.key.json', 'operator.pub'])
      expect(lstatSync(join(shared, file)).isFile()).toBe(true);
    expect(loadHostOperatorKeys(share).keys.publicKey).toBe(loadOperatorKeys(state, 'tns:dc1').hostPublicKey);
    // no temporary file is left behind
    expect(readdirSync(shared).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
