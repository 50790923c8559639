/**
 * The goal oracle itself: every kind of violation it must catch, fed the events nodes report, and
 * the honest patterns it must not flag (a replacement unit restarting a counter under a new key,
 * installing the current release). The security tests rely on it reporting zero only when zero is
 * true.
 */
import { describe, expect, it } from 'vitest';
import { Topology } from '../../core/topology';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { GoalOracle, topologyMembership, type Acceptance } from '../../nodes/oracle/goal-oracle';
import { CertRole, issueCertificate } from '../../nodes/protocol/certificate';
import { MessageClass } from '../../nodes/protocol/message-class';

const crypto = CRYPTO_BACKENDS.node;
const bytes = (text: string) => new TextEncoder().encode(text);
const dcKey = crypto.generateKeyPair().publicKey;
const otherKey = crypto.generateKeyPair().publicKey;

function oracle() {
  return new GoalOracle(topologyMembership(Topology.build(2, 2)));
}

const command = (counter: number, over: Partial<Acceptance> = {}): Acceptance => ({
  node: 'tn1.001',
  cls: MessageClass.Automation,
  sender: 'dc1',
  recipient: 'dc1',
  counter,
  signed: bytes(`automation dc1 #${counter}`),
  signerKey: dcKey,
  ...over,
});

describe('goal oracle', () => {
  it('passes genuine messages accepted once, in order, by their recipients', () => {
    const m = oracle();
    for (const n of [1, 2, 3]) m.sent('dc1', bytes(`automation dc1 #${n}`));
    for (const n of [1, 2, 3]) m.accepted(command(n));
    m.accepted(command(1, { node: 'tn1.002' }));
    expect(m.totalViolations).toBe(0);
    expect(m.tally('fresh_authentic_DC')).toEqual({ accepted: 4, violations: 0 });
  });

  it.each([
    ['content no genuine party sent', (m: GoalOracle) => m.accepted(command(9)), /no genuine party sent/],
    [
      "content under another sender's name",
      (m: GoalOracle) => {
        m.sent('dc2', bytes('automation dc1 #1'));
        m.accepted(command(1));
      },
      /but dc2 sent it/,
    ],
    [
      'content meant for another segment',
      (m: GoalOracle) => {
        m.sent('dc1', bytes('automation dc1 #1'));
        m.accepted(command(1, { node: 'tn2.001' }));
      },
      /meant for dc1/,
    ],
    [
      'the same content accepted twice',
      (m: GoalOracle) => {
        m.sent('dc1', bytes('automation dc1 #1'));
        m.accepted(command(1));
        m.accepted(command(1));
      },
      /twice/,
    ],
    [
      'an older message after a newer one of the same stream',
      (m: GoalOracle) => {
        for (const n of [1, 2]) m.sent('dc1', bytes(`automation dc1 #${n}`));
        m.accepted(command(2));
        m.accepted(command(1));
      },
      /after #2 of the same stream/,
    ],
  ])('flags %s', (_what, act, detail) => {
    const m = oracle();
    act(m);
    expect(m.violationsOf('fresh_authentic_DC')).toBe(1);
    expect(m.violations[0]!.detail).toMatch(detail);
  });

  it('lets a new DC unit restart its counter under its new key, but not re-sign old content with the same key', () => {
    const m = oracle();
    m.sent('dc1', bytes('automation dc1 #1'));
    m.accepted(command(1));
    m.accepted(command(1, { signerKey: otherKey })); // the replacement unit's first command, same content
    expect(m.totalViolations).toBe(0);
    m.accepted(command(1, { signerKey: otherKey })); // and that one again: a replay
    expect(m.violations.map((v) => v.detail)).toEqual([expect.stringMatching(/twice/)]);
  });

  it("keeps firmware rising per unit, and a replacement unit at or above the fleet's release", () => {
    const m = oracle();
    const install = (node: string, version: number) => {
      m.sent('mfr', bytes(`manifest ${version}`));
      m.accepted({
        node,
        cls: MessageClass.FirmwareManifest,
        sender: 'mfr',
        recipient: '*',
        counter: version,
        signed: bytes(`manifest ${version}`),
        signerKey: dcKey,
      });
    };
    install('tn1.001', 2);
    install('tn1.002', 3);
    install('tn1.001', 3);
    expect(m.totalViolations).toBe(0);
    m.replaced('tn1.001');
    install('tn1.001', 3); // the new unit takes the current release
    expect(m.totalViolations).toBe(0);
    install('tn1.002', 3);
    m.replaced('tn2.001');
    install('tn2.001', 2);
    expect(m.violations.map((v) => v.detail)).toEqual([
      expect.stringMatching(/tn1\.002 installed firmware 3 over 3/),
      expect.stringMatching(/replacement unit, installed firmware 2 below the fleet's 3/),
    ]);
  });

  it('accepts only certificates that were issued and not superseded since', () => {
    const m = oracle();
    const hesKey = crypto.generateKeyPair();
    const cert = (keys: Uint8Array) =>
      issueCertificate({ role: CertRole.Dc, issuer: 'hes', subject: 'dc1', signKey: keys, encKey: keys }, hesKey.secretKey, crypto).bytes;
    const first = cert(dcKey);
    const second = cert(otherKey);
    const forged = issueCertificate(
      { role: CertRole.Dc, issuer: 'hes', subject: 'dc1', signKey: dcKey, encKey: dcKey },
      crypto.generateKeyPair().secretKey,
      crypto,
    ).bytes;
    const enrol = (certificate: Uint8Array) =>
      m.accepted({
        node: 'tn1.001',
        cls: MessageClass.TnEnrolment,
        sender: 'dc1',
        recipient: 'tn1.001',
        counter: 0,
        signed: certificate,
        signerKey: hesKey.publicKey,
        certificates: [certificate],
      });
    m.issued(first);
    enrol(first);
    expect(m.totalViolations).toBe(0);
    m.issued(second); // dc1 replaced: a new certificate for the same subject
    enrol(first);
    enrol(forged);
    enrol(second);
    expect(m.violations.map((v) => v.detail)).toEqual([expect.stringMatching(/superseded/), expect.stringMatching(/never issued/)]);
  });
});

describe('goal oracle with a bounded memory', () => {
  /** A memory of `fill` entries per generation, whatever the network's size. */
  const small = (fill: number) => new GoalOracle(topologyMembership(Topology.build(2, 2)), { minGeneration: fill, perParty: 0 });
  const response = (text: string, over: Partial<Acceptance> = {}): Acceptance => ({
    node: 'hes',
    cls: MessageClass.MeterResponse,
    sender: 'tn1.001',
    recipient: 'hes',
    counter: 1,
    signed: bytes(text),
    signerKey: otherKey,
    ...over,
  });
  /** Other honest traffic: `n` commands of dc2's, each taken by its TN. */
  const traffic = (m: GoalOracle, n: number, from = 1) => {
    for (let i = from; i < from + n; i++) {
      m.sent('dc2', bytes(`automation dc2 #${i}`));
      m.accepted(
        command(i, { node: 'tn2.001', sender: 'dc2', recipient: 'dc2', signed: bytes(`automation dc2 #${i}`), signerKey: otherKey }),
      );
    }
  };

  it('judges honest traffic across many forgotten generations as before: no violation', () => {
    const m = small(4);
    for (let n = 1; n <= 50; n++) {
      m.sent('dc1', bytes(`automation dc1 #${n}`));
      m.accepted(command(n));
      m.accepted(command(n, { node: 'tn1.002' }));
      m.sent('tn1.001', bytes(`reading ${n}`));
      m.accepted(response(`reading ${n}`, { counter: n }));
    }
    expect(m.totalViolations).toBe(0);
    expect(m.tally('secure_TN_HES')).toEqual({ accepted: 50, violations: 0 });
  });

  it('counts content taken after the oracle forgot it as a violation of its goal, at its recipient or another', () => {
    const m = small(4);
    m.sent('dc1', bytes('automation dc1 #1'));
    m.accepted(command(1));
    traffic(m, 8);
    // tn1.002 never took it: genuine once, but that long ago taking it is a replay
    m.accepted(command(1, { node: 'tn1.002' }));
    // and tn1.001 a second time (a TN whose counter went back to zero)
    m.accepted(command(1));
    expect(m.violations.map((v) => [v.goal, v.node, v.detail])).toEqual([
      ['fresh_authentic_DC', 'tn1.002', expect.stringMatching(/^tn1\.002 accepted Automation #1 that no genuine party sent lately/)],
      ['fresh_authentic_DC', 'tn1.001', expect.stringMatching(/^tn1\.001 accepted Automation #1 that no genuine party sent lately/)],
    ]);
  });

  it('counts a meter response taken twice, before and after the oracle forgot it (no counter stream covers it)', () => {
    const m = small(4);
    m.sent('tn1.001', bytes('reading 1'));
    m.accepted(response('reading 1'));
    m.accepted(response('reading 1'));
    traffic(m, 8);
    m.accepted(response('reading 1'));
    expect(m.violations.map((v) => [v.goal, v.detail])).toEqual([
      ['secure_TN_HES', 'hes accepted MeterResponse #1 twice'],
      ['secure_TN_HES', expect.stringMatching(/^hes accepted MeterResponse #1 that no genuine party sent lately/)],
    ]);
  });

  it('keeps the manufacturer’s firmware, and what a node the attacker holds signed, however long ago', () => {
    const m = small(4);
    m.sent('mfr', bytes('manifest 2'));
    m.compromised('tn1.001');
    m.accepted(response('forged reading'));
    traffic(m, 8);
    // a TN that was offline installs the release days later: genuine
    m.accepted({
      node: 'tn1.002',
      cls: MessageClass.FirmwareManifest,
      sender: 'mfr',
      recipient: '*',
      counter: 2,
      signed: bytes('manifest 2'),
      signerKey: dcKey,
    });
    expect(m.totalViolations).toBe(0);
    // the attacker's own content taken again is still a replay, not new content
    m.accepted(response('forged reading'));
    expect(m.violations.map((v) => [v.goal, v.detail])).toEqual([['secure_TN_HES', 'hes accepted MeterResponse #1 twice']]);
  });
});
