/**
 * authentic_certs_TN: the certificates a TN accepts were issued by the manufacturer and the HES,
 * with the HES's acknowledgement of exactly this TN's keys. The attacker holds the PLC segment
 * while a TN enrols and offers forged, borrowed and altered chains.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signFrame } from '../../nodes/lean/frame-builders';
import { keyFingerprint } from '../../nodes/lean/identity';
import { CertRole, issueCertificate } from '../../nodes/protocol/certificate';
import { decodeAs, encodeTnEnrolment, type TnEnrolment } from '../../nodes/protocol/frame';
import { MessageClass } from '../../nodes/protocol/message-class';
import { leanBench, type LeanBench } from './lean-bench';

describe('authentic_certs_TN', () => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ bootstrap: false });
    await b.clock.drive(Promise.all([...b.mode.dcs.values()].map((dc) => dc.bootstrap())));
  });
  afterEach(() => b.close());

  it('refuses forged, borrowed and altered chains while the genuine one is held back, then enrols genuinely', async () => {
    const enrolments = b.attacker.record({ class: 'tn-enrolment' });
    const keysSeen = b.attacker.record({ link: 'plc:dc1', class: 'tn-key' });
    await b.clock.drive(Promise.all(['tn1.002', 'tn2.001'].map((tn) => b.mode.tns.get(tn)!.bootstrap())));
    const heldBack = b.attacker.record({ link: 'plc:dc1', class: 'tn-enrolment', to: 'tn1.001' });
    const holdBack = b.attacker.block({ link: 'plc:dc1', class: 'tn-enrolment', to: 'tn1.001' });
    const enrolled = b.mode.tns.get('tn1.001')!.bootstrap();
    await b.wait();
    const genuine = decodeAs(heldBack.frames[0]!.bytes, MessageClass.TnEnrolment);
    const victimKey = decodeAs(keysSeen.frames.find((f) => f.from === 'tn1.001')!.bytes, MessageClass.TnKey);
    const sameDc = decodeAs(enrolments.frames.find((f) => f.to === 'tn1.002')!.bytes, MessageClass.TnEnrolment);
    const otherDc = decodeAs(enrolments.frames.find((f) => f.to === 'tn2.001')!.bytes, MessageClass.TnEnrolment);
    const { crypto, keys } = b.attacker;
    const digest = keyFingerprint(victimKey.signKey, victimKey.encKey, crypto);
    const ackSignedBy = (secret: Uint8Array) =>
      signFrame({ cls: MessageClass.TnAck, hes: 'hes', tn: 'tn1.001', dc: 'dc1', keyDigest: digest, hesCounter: 0, firmwareFloor: 0 }, secret, crypto).frame;
    const send = (e: TnEnrolment | Omit<TnEnrolment, 'cls'>) => b.attacker.inject('dc1', 'tn1.001', encodeTnEnrolment(e));

    // 1. a whole chain from the attacker's root, with an acknowledgement the rogue HES signed
    const rogueHes = b.attacker.rogueManufacturer.certifyHes('hes', keys.sign.publicKey, keys.enc.publicKey);
    const rogueDc = issueCertificate({ role: CertRole.Dc, issuer: 'hes', subject: 'dc1', signKey: keys.sign.publicKey, encKey: keys.enc.publicKey }, keys.sign.secretKey, crypto);
    send({ tn: 'tn1.001', hesCert: rogueHes.bytes, dcCert: rogueDc.bytes, ack: ackSignedBy(keys.sign.secretKey), anchor: genuine.anchor });
    // 2. the genuine chain of dc1 with an acknowledgement forged by a compromised dc1
    send({ tn: 'tn1.001', hesCert: sameDc.hesCert, dcCert: sameDc.dcCert, ack: ackSignedBy(b.attacker.compromise('dc1').sign.secretKey), anchor: genuine.anchor });
    // 3. tn1.002's genuine enrolment, as sent and readdressed (its acknowledgement names tn1.002)
    send(sameDc);
    send({ ...sameDc, tn: 'tn1.001' });
    // 4. a TN of dc2's genuine enrolment readdressed: the DC certificate is for dc2
    send({ ...otherDc, tn: 'tn1.001' });
    // 5. dc1's chain with the DC certificate's subject altered
    const altered = sameDc.dcCert.slice();
    altered[altered.indexOf(0x31, 10)] = 0x32;
    send({ tn: 'tn1.001', hesCert: sameDc.hesCert, dcCert: altered, ack: sameDc.ack, anchor: genuine.anchor });
    // 6. its own genuine acknowledgement with dc2's genuine certificate: would bind it to dc2's key
    send({ tn: 'tn1.001', hesCert: genuine.hesCert, dcCert: otherDc.dcCert, ack: genuine.ack, anchor: genuine.anchor });
    // 7. its genuine chain and acknowledgement with a counter anchor the attacker signed (to reset
    //    the TN's counters and replay old commands), and with tn1.002's genuine anchor
    const forgedAnchor = signFrame({ cls: MessageClass.CounterAnchor, dc: 'dc1', tn: 'tn1.001', counter: 0 }, keys.sign.secretKey, crypto).frame;
    send({ ...genuine, anchor: forgedAnchor });
    send({ ...genuine, anchor: sameDc.anchor });
    await b.wait();
    expect(b.rejected('wrong-recipient', 'tn')).toBe(1);
    expect(b.rejected('bad-signature', 'tn')).toBe(2);
    expect(b.rejected('untrusted-certificate', 'tn')).toBe(6);
    expect(b.mode.tns.get('tn1.001')!.enrolled).toBe(false);

    holdBack();
    await b.clock.drive(enrolled);
    expect(b.mode.tns.get('tn1.001')!.enrolled).toBe(true);
    expect(b.monitor.tally('authentic_certs_TN')).toEqual({ accepted: 3, violations: 0 });
  });

  it('never gets the HES to acknowledge keys other than the provisioned ones', async () => {
    const acks = b.attacker.record({ class: 'tn-ack' });
    const { crypto, keys } = b.attacker;
    const stolen = b.attacker.compromise('tn1.002');
    for (const k of [keys, stolen]) {
      const registration = signFrame({ cls: MessageClass.TnKey, tn: 'tn1.001', dc: 'dc1', signKey: k.sign.publicKey, encKey: k.enc.publicKey }, k.sign.secretKey, crypto);
      b.attacker.inject('tn1.001', 'dc1', registration.frame);
    }
    // tn1.001's real keys, moved to dc2 where it does not belong
    const real = b.mode.keysOf('tn1.001');
    const moved = signFrame({ cls: MessageClass.TnKey, tn: 'tn1.001', dc: 'dc2', signKey: real.sign.publicKey, encKey: real.enc.publicKey }, keys.sign.secretKey, crypto);
    b.attacker.inject('dc2', 'hes', moved.frame);
    await b.wait();
    expect(b.rejected('not-expected', 'hes')).toBe(2);
    expect(b.rejected('bad-signature', 'hes')).toBe(1);
    expect(acks.frames).toEqual([]);

    const report = await b.clock.drive(b.mode.bootstrap());
    expect(report.failed).toEqual([]);
    expect(b.monitor.tally('authentic_certs_TN')).toEqual({ accepted: 6, violations: 0 });
  });
});
