/**
 * The lean protocol's wire frames: version 1, binary, big-endian.
 *
 *   [version u8][class u8][class-specific body]
 *
 * Node ids are one length byte plus ASCII; keys are compressed P-256 points (33 bytes);
 * signatures are ECDSA P-256 over SHA-256, 64 bytes r||s with low s.
 *
 * Signed content always names the sender, the recipient or group, the class (byte 1) and the
 * counter, so nothing signed for one purpose or recipient passes for another. For the two
 * encrypted classes the clear header (version, class, sender, recipient) is both the AEAD's
 * associated data and the start of the signed bytes; the plaintext carries only what follows.
 * A re-encryption of someone else's signed content for a new recipient therefore fails the
 * signature check, and a rewritten header fails decryption.
 *
 * decodeFrame never throws: it returns a typed rejection. It checks structure only; signatures,
 * certificates and counters are checked by the receiving node, which knows the keys.
 *
 * The classes are defined by family: enrolment-frames.ts and operational-frames.ts, built from the
 * fields of frame-fields.ts. This file is the codec over all of them.
 */
import { boundary, ByteReader, ByteWriter, DecodeFailure } from './bytes';
import {
  decodeEnrolmentBody,
  encodeDcEnrolment,
  encodeTnEnrolment,
  enrolmentSignedBytes,
  type CounterAnchor,
  type DcCsr,
  type EnrolmentFrame,
  type TnAck,
  type TnKey,
} from './enrolment-frames';
import { SIGNATURE_BYTES, type Unsigned } from './frame-fields';
import { MessageClass, WIRE_VERSION } from './message-class';
import {
  decodeOperationalBody,
  encodeFirmwareChunk,
  encodeSealed,
  encodeTlsRecord,
  operationalSignedBytes,
  sealedHeader,
  type Automation,
  type FirmwareManifest,
  type MeterRequest,
  type OperationalFrame,
} from './operational-frames';
import type { Result } from './rejection';

export type Frame = EnrolmentFrame | OperationalFrame;

// ---- the bytes a signer signs (the frame minus its signature) ---------------------------------

export function signedBytes(
  f:
    | Unsigned<DcCsr>
    | Unsigned<TnKey>
    | Unsigned<TnAck>
    | Unsigned<CounterAnchor>
    | Unsigned<MeterRequest>
    | Unsigned<Automation>
    | Unsigned<FirmwareManifest>,
): Uint8Array {
  switch (f.cls) {
    case MessageClass.DcCsr:
    case MessageClass.TnKey:
    case MessageClass.TnAck:
    case MessageClass.CounterAnchor:
      return enrolmentSignedBytes(f);
    case MessageClass.MeterRequest:
    case MessageClass.Automation:
    case MessageClass.FirmwareManifest:
      return operationalSignedBytes(f);
  }
}

/** A signed frame on the wire: its signed bytes followed by the signature. */
export function withSignature(signed: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_BYTES) throw new RangeError(`signature must be ${SIGNATURE_BYTES} bytes`);
  return new ByteWriter(signed.length + signature.length).bytes(signed).bytes(signature).finish();
}

// ---- decoding -------------------------------------------------------------------------------

export function decodeFrame(bytes: Uint8Array): Result<Frame> {
  return boundary('frame', () => {
    const r = new ByteReader(bytes);
    const version = r.u8('version');
    if (version !== WIRE_VERSION) throw new DecodeFailure('bad-version', `wire version ${version}, expected ${WIRE_VERSION}`);
    const cls = r.u8('class') as MessageClass;
    const frame = decodeEnrolmentBody(cls, r) ?? decodeOperationalBody(cls, r);
    if (!frame) throw new DecodeFailure('unknown-class', `class 0x${Number(cls).toString(16).padStart(2, '0')} is not a frame class`);
    r.end('frame');
    return frame;
  });
}

/** Encodes any decoded frame back to bytes; decodeFrame(encodeFrame(f)) gives f again. */
export function encodeFrame(f: Frame): Uint8Array {
  switch (f.cls) {
    case MessageClass.DcCsr:
    case MessageClass.TnKey:
    case MessageClass.TnAck:
    case MessageClass.CounterAnchor:
    case MessageClass.MeterRequest:
    case MessageClass.Automation:
    case MessageClass.FirmwareManifest:
      return withSignature(signedBytes(f), f.signature);
    case MessageClass.MeterResponse:
    case MessageClass.Confidential:
      return encodeSealed(sealedHeader(f), f.sealed);
    case MessageClass.DcEnrolment:
      return encodeDcEnrolment(f);
    case MessageClass.TnEnrolment:
      return encodeTnEnrolment(f);
    case MessageClass.FirmwareChunk:
      return encodeFirmwareChunk(f);
    case MessageClass.TlsRecord:
      return encodeTlsRecord(f);
  }
}

/**
 * Decodes bytes that must be a frame of one class; throws otherwise. For tools, campaigns and
 * tests that take frames apart; nodes use decodeFrame, which never throws.
 */
export function decodeAs<C extends Frame['cls']>(bytes: Uint8Array, cls: C): Extract<Frame, { cls: C }> {
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) throw new Error(`not a frame: ${decoded.reason}: ${decoded.detail}`);
  if (decoded.value.cls !== cls) throw new Error(`expected a ${MessageClass[cls]} frame, got ${MessageClass[decoded.value.cls]}`);
  return decoded.value as Extract<Frame, { cls: C }>;
}
