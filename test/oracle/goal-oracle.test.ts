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
