/**
 * authentic_certs_TN: the certificates a TN accepts were issued by the manufacturer and the HES,
 * with the HES's acknowledgement of exactly this TN's keys. The attacker holds the PLC segment
 * while a TN enrols and offers forged, borrowed and altered chains.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signFrame } from '../../nodes/lean/frame-builders';
import { keyFingerprint } from '../../nodes/lean/identity';
import { CertRole, decodeCertificate, issueCertificate } from '../../nodes/protocol/certificate';
import { encodeTnEnrolment, type TnEnrolment } from '../../nodes/protocol/enrolment-frames';
import { decodeAs } from '../../nodes/protocol/frame';
import { MessageClass } from '../../nodes/protocol/message-class';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

describe.each(GOAL_BACKENDS)('authentic_certs_TN (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto, bootstrap: false });
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
    const dc1Cert = decodeCertificate(sameDc.dcCert);
    if (!dc1Cert.ok) throw new Error('dc1 certificate does not decode');
    const dcDigest = keyFingerprint(dc1Cert.value.signKey, dc1Cert.value.encKey, crypto);
    // everything a genuine acknowledgement of this very attempt would say, the nonce sniffed from the registration
    const ackSignedBy = (secret: Uint8Array) =>
      signFrame(
        {
          cls: MessageClass.TnAck,
          hes: 'hes',
          tn: 'tn1.001',
          dc: 'dc1',
          keyDigest: digest,
          dcKeyDigest: dcDigest,
          nonce: victimKey.nonce,
          hesCounter: 0,
          firmwareFloor: 0,
        },
        secret,
        crypto,
      ).frame;
    const send = (e: TnEnrolment | Omit<TnEnrolment, 'cls'>) => b.attacker.inject('dc1', 'tn1.001', encodeTnEnrolment(e));

    // 1. a whole chain from the attacker's root, with an acknowledgement the rogue HES signed
    const rogueHes = b.attacker.rogueManufacturer.certifyHes('hes', keys.sign.publicKey, keys.enc.publicKey);
    const rogueDc = issueCertificate(
      { role: CertRole.Dc, issuer: 'hes', subject: 'dc1', signKey: keys.sign.publicKey, encKey: keys.enc.publicKey },
      keys.sign.secretKey,
      crypto,
    );
    send({ tn: 'tn1.001', hesCert: rogueHes.bytes, dcCert: rogueDc.bytes, ack: ackSignedBy(keys.sign.secretKey), anchor: genuine.anchor });
    // 2. the genuine chain of dc1 with an acknowledgement forged by a compromised dc1
    send({
      tn: 'tn1.001',
      hesCert: sameDc.hesCert,
      dcCert: sameDc.dcCert,
      ack: ackSignedBy(b.attacker.compromise('dc1').sign.secretKey),
      anchor: genuine.anchor,
    });
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
    const forgedAnchor = signFrame(
      { cls: MessageClass.CounterAnchor, dc: 'dc1', tn: 'tn1.001', nonce: victimKey.nonce, counter: 0 },
      keys.sign.secretKey,
      crypto,
    ).frame;
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
    expect(b.oracle.tally('authentic_certs_TN')).toEqual({ accepted: 3, violations: 0 });
  });

  it('never gets the HES to acknowledge keys other than the provisioned ones', async () => {
    const acks = b.attacker.record({ class: 'tn-ack' });
    const { crypto, keys } = b.attacker;
    const stolen = b.attacker.compromise('tn1.002');
    const nonce = crypto.randomBytes(16);
    for (const k of [keys, stolen]) {
      const registration = signFrame(
        { cls: MessageClass.TnKey, tn: 'tn1.001', dc: 'dc1', signKey: k.sign.publicKey, encKey: k.enc.publicKey, nonce },
        k.sign.secretKey,
        crypto,
      );
      b.attacker.inject('tn1.001', 'dc1', registration.frame);
    }
    // tn1.001's real keys, signed with them (tn1.001 compromised), registered through dc2 where it does not belong
    const real = b.attacker.compromise('tn1.001');
    const moved = signFrame(
      { cls: MessageClass.TnKey, tn: 'tn1.001', dc: 'dc2', signKey: real.sign.publicKey, encKey: real.enc.publicKey, nonce },
      real.sign.secretKey,
      crypto,
    );
    b.attacker.inject('dc2', 'hes', moved.frame);
    // tn1.001's real keys under its own DC, but without the secret key to sign for them
    const unproven = signFrame(
      { cls: MessageClass.TnKey, tn: 'tn1.001', dc: 'dc1', signKey: real.sign.publicKey, encKey: real.enc.publicKey, nonce },
      keys.sign.secretKey,
      crypto,
    );
    b.attacker.inject('dc1', 'hes', unproven.frame);
    await b.wait();
    expect(b.rejected('not-expected', 'hes')).toBe(3);
    expect(b.rejected('bad-signature', 'hes')).toBe(1);
    expect(acks.frames).toEqual([]);

    const report = await b.clock.drive(b.mode.bootstrap());
    expect(report.failed).toEqual([]);
    expect(b.oracle.tally('authentic_certs_TN')).toEqual({ accepted: 6, violations: 0 });
  });

  it("refuses an old enrolment replayed into a re-enrolment: a replaced DC's TNs cannot be pinned to its old key", async () => {
    const originals = b.attacker.record({ link: 'plc:dc1', class: 'tn-enrolment' });
    await b.clock.drive(b.mode.bootstrap());
    originals.stop();
    const enrolmentOf = new Map(originals.frames.map((f) => [decodeAs(f.bytes, MessageClass.TnEnrolment).tn, f.bytes]));
    const oldUnit = b.attacker.compromise('dc1');
    // the attacker answers every re-registration at once with that TN's recorded original enrolment
    const stop = b.attacker.intercept({ link: 'plc:dc1', class: 'tn-key' }, (frame, ctx) => {
      ctx.forward(frame);
      const old = enrolmentOf.get(frame.from);
      if (old) b.attacker.inject('dc1', frame.from, old);
    });
    await b.clock.drive(b.mode.replace('dc1'));
    stop();
    expect(b.rejected('stale-counter', 'tn')).toBeGreaterThanOrEqual(3);
    const forged = signFrame(
      { cls: MessageClass.Automation, dc: 'dc1', group: 'dc1', counter: 100, relay: 1 },
      oldUnit.sign.secretKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', SEGMENT_BROADCAST, forged.frame);
    await b.wait();
    expect(b.topology.tnsOf('dc1').map((tn) => b.mode.tns.get(tn)!.relayState)).toEqual([undefined, undefined, undefined]);
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    expect(b.topology.tnsOf('dc1').map((tn) => b.mode.tns.get(tn)!.relayState)).toEqual([true, true, true]);
    expect(b.oracle.totalViolations).toBe(0);
  });

  it("refuses an old counter anchor spliced into a replacement unit's enrolment", async () => {
    const first = b.attacker.record({ link: 'plc:dc1', class: 'tn-enrolment', to: 'tn1.001' });
    await b.clock.drive(b.mode.bootstrap());
    first.stop();
    const oldAnchor = decodeAs(first.frames[0]!.bytes, MessageClass.TnEnrolment).anchor;
    const commands = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    for (const relay of ['on', 'off', 'on'] as const) {
      b.mode.automation('dc1', { relay });
      await b.wait();
    }
    commands.stop();
    let spliced = 0;
    const splice = b.attacker.intercept({ link: 'plc:dc1', class: 'tn-enrolment', to: 'tn1.001' }, (frame, ctx) => {
      if (spliced++ > 0) return ctx.forward(frame); // only the first answer: the unit must still get in
      ctx.tamper(frame, encodeTnEnrolment({ ...decodeAs(frame.bytes, MessageClass.TnEnrolment), anchor: oldAnchor }));
    });
    await b.clock.drive(b.mode.replace('tn1.001'));
    splice();
    expect(b.rejected('stale-counter', 'tn')).toBe(1);
    const unit = b.mode.tns.get('tn1.001')!;
    expect(unit.lastCounters.dc).toBe(3);
    for (const f of commands.frames) b.attacker.replay(f, { from: 'dc1', to: 'tn1.001' });
    await b.wait();
    expect(unit.relayState).toBeUndefined();
    expect(b.oracle.totalViolations).toBe(0);
  });
});
