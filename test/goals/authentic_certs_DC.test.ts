/**
 * authentic_certs_DC: the HES and DC certificates a DC accepts were issued by the manufacturer and
 * the HES. The attacker holds the WAN link while a DC enrols and offers it forged, borrowed and
 * altered certificate chains, and tries to have the HES certify keys of its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signFrame } from '../../nodes/lean/frame-builders';
import { CertRole, issueCertificate } from '../../nodes/protocol/certificate';
import { encodeDcEnrolment } from '../../nodes/protocol/enrolment-frames';
import { decodeAs } from '../../nodes/protocol/frame';
import { MessageClass } from '../../nodes/protocol/message-class';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

describe.each(GOAL_BACKENDS)('authentic_certs_DC (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto, bootstrap: false });
  });
  afterEach(() => b.close());

  it('refuses forged, borrowed and altered chains while the genuine one is held back, then enrols genuinely', async () => {
    const enrolments = b.attacker.record({ class: 'dc-enrolment' });
    const csrs = b.attacker.record({ class: 'dc-csr' });
    await b.clock.drive(b.mode.dcs.get('dc2')!.bootstrap());
    const holdBack = b.attacker.block({ link: 'wan:dc1', class: 'dc-enrolment' });
    const enrolled = b.mode.dcs.get('dc1')!.bootstrap();
    await b.wait();
    const dc1Csr = decodeAs(csrs.frames.find((f) => f.from === 'dc1')!.bytes, MessageClass.DcCsr);
    const genuineDc2 = decodeAs(enrolments.frames.find((f) => f.to === 'dc2')!.bytes, MessageClass.DcEnrolment);
    const { crypto, keys } = b.attacker;

    // 1. a whole chain from the attacker's own root, naming dc1's real keys
    const rogueHes = b.attacker.rogueManufacturer.certifyHes('hes', keys.sign.publicKey, keys.enc.publicKey);
    const dcCertFor = (signer: Uint8Array) =>
      issueCertificate(
        { role: CertRole.Dc, issuer: 'hes', subject: 'dc1', signKey: dc1Csr.signKey, encKey: dc1Csr.encKey },
        signer,
        crypto,
      );
    b.attacker.inject(
      'hes',
      'dc1',
      encodeDcEnrolment({ dc: 'dc1', hesCert: rogueHes.bytes, dcCert: dcCertFor(keys.sign.secretKey).bytes }),
    );
    // 2. the genuine HES certificate with a DC certificate the attacker signed
    b.attacker.inject(
      'hes',
      'dc1',
      encodeDcEnrolment({ dc: 'dc1', hesCert: genuineDc2.hesCert, dcCert: dcCertFor(keys.sign.secretKey).bytes }),
    );
    // 3. dc2's genuine chain, as sent and readdressed to dc1
    b.attacker.inject('hes', 'dc1', encodeDcEnrolment(genuineDc2));
    b.attacker.inject('hes', 'dc1', encodeDcEnrolment({ ...genuineDc2, dc: 'dc1' }));
    // 4. dc2's genuine chain with one bit of the DC certificate's signature flipped
    const altered = genuineDc2.dcCert.slice();
    altered[altered.length - 1]! ^= 1;
    b.attacker.inject('hes', 'dc1', encodeDcEnrolment({ dc: 'dc1', hesCert: genuineDc2.hesCert, dcCert: altered }));
    await b.wait();
    expect(b.rejected('wrong-recipient', 'dc')).toBe(1);
    expect(b.rejected('untrusted-certificate', 'dc')).toBe(4);
    expect(b.mode.dcs.get('dc1')!.enrolled).toBe(false);

    holdBack();
    await b.clock.drive(enrolled);
    const { hesCert, dcCert } = b.mode.dcs.get('dc1')!.certificates;
    expect(hesCert!.issuer).toBe('mfr');
    expect(dcCert!.issuer).toBe('hes');
    expect(b.oracle.tally('authentic_certs_DC')).toEqual({ accepted: 2, violations: 0 });
  });

  it('never gets the HES to certify keys other than the provisioned ones', async () => {
    const { crypto, keys } = b.attacker;
    const issued = b.attacker.record({ class: 'dc-enrolment' });
    // the attacker's keys under dc1's name, and a compromised dc2's keys under dc1's name
    const stolenDc2 = b.attacker.compromise('dc2');
    for (const k of [keys, stolenDc2]) {
      const csr = signFrame(
        { cls: MessageClass.DcCsr, dc: 'dc1', signKey: k.sign.publicKey, encKey: k.enc.publicKey },
        k.sign.secretKey,
        crypto,
      );
      b.attacker.inject('dc1', 'hes', csr.frame);
    }
    // a CSR for dc1's real keys signed by someone else: no proof of possession
    const real = b.mode.keysOf('dc1');
    const unsigned = signFrame(
      { cls: MessageClass.DcCsr, dc: 'dc1', signKey: real.sign.publicKey, encKey: real.enc.publicKey },
      keys.sign.secretKey,
      crypto,
    );
    b.attacker.inject('dc1', 'hes', unsigned.frame);
    await b.wait();
    expect(b.rejected('not-expected', 'hes')).toBe(2);
    expect(b.rejected('bad-signature', 'hes')).toBe(1);
    expect(issued.frames).toEqual([]);

    await b.clock.drive(b.mode.bootstrap());
    expect(b.oracle.tally('authentic_certs_DC')).toEqual({ accepted: 2, violations: 0 });
  });

  it('refuses a replayed enrolment once enrolled', async () => {
    const enrolments = b.attacker.record({ link: 'wan:dc1', class: 'dc-enrolment' });
    await b.clock.drive(b.mode.dcs.get('dc1')!.bootstrap());
    b.attacker.replay(enrolments.frames[0]!);
    await b.wait();
    expect(b.rejected('unexpected-class', 'dc')).toBe(1);
    expect(b.oracle.tally('authentic_certs_DC')).toEqual({ accepted: 1, violations: 0 });
  });
});
