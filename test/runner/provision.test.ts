/**
 * A lean provisioning file is what every node process of a distributed bench trusts: the
 * allow-list and the manufacturer's key. One that was truncated or edited by hand is refused
 * naming the file and the field, rather than loaded into a key that silently verifies nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { provisionState } from '../../bench/runner/provision';
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
