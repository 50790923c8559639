/**
 * One genuine frame of every class, built with real keys exactly as the nodes build them, with the
 * bench's usual ids (hes, dc1, tn1.001). Used for the frame-size table, the codec fuzzer and the
 * protocol benchmark.
 */
import type { CryptoBackend } from '../crypto/backend';
import { CertRole, issueCertificate } from '../protocol/certificate';
import { encodeDcEnrolment, encodeTnEnrolment } from '../protocol/enrolment-frames';
import { ALL_TNS } from '../protocol/frame-fields';
import { confidentialBody, encodeTlsRecord, meterReadingBody, sealedHeader } from '../protocol/operational-frames';
import { MessageClass } from '../protocol/message-class';
import { signFrame, signThenSeal } from './frame-builders';
import { keyFingerprint } from './identity';
import { Manufacturer } from './manufacturer';
import { REGISTER_ENERGY_IMPORT_WH } from '../meter';

export const SAMPLE_IDS = { hes: 'hes', dc: 'dc1', tn: 'tn1.001' } as const;

export function buildSampleFrames(crypto: CryptoBackend): Record<string, Uint8Array> {
  const { hes, dc, tn } = SAMPLE_IDS;
  const manufacturer = Manufacturer.create(crypto);
  const key = () => ({ sign: crypto.generateKeyPair(), enc: crypto.generateKeyPair() });
  const [hesKeys, dcKeys, tnKeys] = [key(), key(), key()];
  const hesCert = manufacturer.certifyHes(hes, hesKeys.sign.publicKey, hesKeys.enc.publicKey);
  const dcCert = issueCertificate(
    { role: CertRole.Dc, issuer: hes, subject: dc, signKey: dcKeys.sign.publicKey, encKey: dcKeys.enc.publicKey },
    hesKeys.sign.secretKey,
    crypto,
  );
  const nonce = crypto.randomBytes(16);
  const ack = signFrame(
    {
      cls: MessageClass.TnAck,
      hes,
      tn,
      dc,
      keyDigest: keyFingerprint(tnKeys.sign.publicKey, tnKeys.enc.publicKey, crypto),
      dcKeyDigest: keyFingerprint(dcKeys.sign.publicKey, dcKeys.enc.publicKey, crypto),
      nonce,
      hesCounter: 41,
      firmwareFloor: 3,
    },
    hesKeys.sign.secretKey,
    crypto,
  ).frame;
  const anchor = signFrame({ cls: MessageClass.CounterAnchor, dc, tn, nonce, counter: 17 }, dcKeys.sign.secretKey, crypto).frame;
  const firmware = manufacturer.signFirmware(
    7,
    new Uint8Array(64 * 1024).map((_, i) => i & 0xff),
  );
  return {
    dcCsr: signFrame(
      { cls: MessageClass.DcCsr, dc, signKey: dcKeys.sign.publicKey, encKey: dcKeys.enc.publicKey },
      dcKeys.sign.secretKey,
      crypto,
    ).frame,
    dcEnrolment: encodeDcEnrolment({ dc, hesCert: hesCert.bytes, dcCert: dcCert.bytes }),
    tnKey: signFrame(
      { cls: MessageClass.TnKey, tn, dc, signKey: tnKeys.sign.publicKey, encKey: tnKeys.enc.publicKey, nonce },
      tnKeys.sign.secretKey,
      crypto,
    ).frame,
    tnAck: ack,
    counterAnchor: anchor,
    tnEnrolment: encodeTnEnrolment({ tn, hesCert: hesCert.bytes, dcCert: dcCert.bytes, ack, anchor }),
    meterRequest: signFrame({ cls: MessageClass.MeterRequest, hes, group: ALL_TNS, counter: 1, request: 0 }, hesKeys.sign.secretKey, crypto)
      .frame,
    meterResponse: signThenSeal(
      sealedHeader({ cls: MessageClass.MeterResponse, tn, hes }),
      meterReadingBody({ counter: 1, registers: [[REGISTER_ENERGY_IMPORT_WH, 12_345_678]] }),
      tnKeys.sign.secretKey,
      hesKeys.enc.publicKey,
      crypto,
    ).frame,
    confidential: signThenSeal(
      sealedHeader({ cls: MessageClass.Confidential, hes, tn }),
      confidentialBody({ counter: 2, payload: new TextEncoder().encode('prepaid balance 12.50 EUR') }),
      hesKeys.sign.secretKey,
      tnKeys.enc.publicKey,
      crypto,
    ).frame,
    automation: signFrame({ cls: MessageClass.Automation, dc, group: dc, counter: 1, relay: 1 }, dcKeys.sign.secretKey, crypto).frame,
    firmwareManifest: firmware.manifest,
    firmwareChunk: firmware.chunks[0]!,
    tlsRecord: encodeTlsRecord({ tn, payload: new Uint8Array(100) }),
  };
}
