/**
 * Every mode of the registry passes the one compliance suite (compliance.ts); what differs per
 * mode is how an old unit comes back after a replacement and what its credential is.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../bench/scenario/load';
import { createMode, MODE_NAMES, MODES } from '../../nodes/modes';
import type { Credential } from '../../nodes/smgw-tls/pki';
import { modeCompliance, type ModeUnderTest } from './compliance';

const lean: ModeUnderTest<'lean'> = {
  name: 'lean',
  enrolsDcs: true,
  options: { retry: { firstMs: 5_000, maxMs: 20_000 }, firmware: { passes: 1, chunkIntervalMs: 150 } },
  credentialOf: (mode, tn) => mode.keysOf(tn).sign.publicKey,
  async oldUnitBack(bench, tn, credential) {
    await bench.mode.tns.get(tn)!.close();
    // the old unit keeps its keys and its certificates in its own store (generation 0)
    const storeFor = bench.setup.storeFor!;
    const old = createMode('lean', {
      ...bench.setup,
      local: (node) => node === tn,
      storeFor: (node) => storeFor(node, 0),
      options: {
        ...bench.setup.options,
        provisioned: { allowList: bench.mode.allowList, manufacturerKey: bench.mode.manufacturerPublicKey },
      },
    });
    expect(old.keysOf(tn).sign.publicKey).toEqual(credential);
    return old;
  },
};

const smgwTls: ModeUnderTest<'smgw-tls'> = {
  name: 'smgw-tls',
  enrolsDcs: false,
  options: { backoff: { firstMs: 2_000, maxMs: 10_000 } },
  credentialOf: (mode, tn) => mode.credentialOf(tn),
  async oldUnitBack(bench, tn, credential) {
    await bench.mode.tn(tn).close();
    // the old unit presents the certificate it was issued, still valid and from the same PKI
    return createMode('smgw-tls', {
      ...bench.setup,
      // a device of its own: its connection numbers are not the new unit's
      random: bench.setup.random.fork('old unit'),
      local: (node) => node === tn,
      bootstrapTimeoutMs: 60_000,
      options: { ...bench.setup.options, pki: bench.mode.pki, credentialOf: () => credential as Credential },
    });
  },
};

modeCompliance(lean);
modeCompliance(smgwTls);

describe('the mode registry', () => {
  it('runs every registered mode through the compliance suite', () => {
    expect([lean.name, smgwTls.name].sort()).toEqual([...MODE_NAMES].sort());
  });

  it("takes each mode's scenario options under the mode's name, and names the new key for the old `tls:`", () => {
    const parse = (text: string) => parseScenario(`topology: { dcs: 1, tnsPerDc: 1 }\n${text}`, 'inline.yaml');
    expect(parse('smgw-tls: { maxAge: 2h, curve: brainpoolP256r1 }\n')['smgw-tls']).toMatchObject({
      curve: 'brainpoolP256r1',
      lifetime: { maxAgeMs: 7_200_000, maxBytes: 5_000_000, reconnect: 'spread' },
    });
    expect(parse('')['smgw-tls']).toMatchObject({ curve: 'P-256', lifetime: { maxAgeMs: 48 * 3_600_000 } });
    expect(() => parse('tls: { curve: P-256 }\n')).toThrow(/inline\.yaml: tls: .*"smgw-tls:"/);
    expect(() => parse('smgw-tls: { curve: P-384 }\n')).toThrow(/inline\.yaml: smgw-tls\.curve/);
    for (const name of MODE_NAMES) expect(MODES[name].summary.length).toBeGreaterThan(0);
  });
});
