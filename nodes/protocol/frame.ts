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
 */
import { EPHEMERAL_KEY_BYTES, GCM_TAG_BYTES } from '../crypto/backend';
import { boundary, ByteReader, ByteWriter, DecodeFailure } from './bytes';
import { MessageClass, WIRE_VERSION } from './message-class';
import type { Result } from './rejection';

export const PUBLIC_KEY_BYTES = 33;
export const SIGNATURE_BYTES = 64;
export const DIGEST_BYTES = 32;
/** The fresh random value a TN puts in one enrolment attempt; the answers must echo it. */
export const NONCE_BYTES = 16;
/** Ephemeral public key plus AES-GCM tag that sealing adds to a plaintext. */
export const SEAL_OVERHEAD_BYTES = EPHEMERAL_KEY_BYTES + GCM_TAG_BYTES;
/** Group id addressing every TN (HES multicast, firmware). */
export const ALL_TNS = '*';

interface Signed {
  /** Bytes the signature covers. */
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

export interface DcCsr extends Signed {
  readonly cls: MessageClass.DcCsr;
  readonly dc: string;
  readonly signKey: Uint8Array;
  readonly encKey: Uint8Array;
}

export interface DcEnrolment {
  readonly cls: MessageClass.DcEnrolment;
  readonly dc: string;
  readonly hesCert: Uint8Array;
  readonly dcCert: Uint8Array;
}

export interface TnKey extends Signed {
  readonly cls: MessageClass.TnKey;
  readonly tn: string;
  readonly dc: string;
  readonly signKey: Uint8Array;
  readonly encKey: Uint8Array;
  /** Fresh per enrolment attempt: the acknowledgement and the counter anchor must carry it. */
  readonly nonce: Uint8Array;
}

/**
 * The HES's signed acknowledgement that it registered a TN's keys. It carries the HES counter at
 * that moment, so a TN that enrols (a new unit replacing a failed one) starts from it and never
 * accepts a multicast the HES sent before, and the latest firmware version the HES has rolled
 * out, below which the new unit installs nothing (an old, genuinely signed release replayed to a
 * fresh unit would otherwise downgrade it below the fleet).
 */
export interface TnAck extends Signed {
  readonly cls: MessageClass.TnAck;
  readonly hes: string;
  readonly tn: string;
  readonly dc: string;
  /** SHA-256 of the TN's signKey || encKey as registered. */
  readonly keyDigest: Uint8Array;
  /** SHA-256 of the keys of the DC certificate the HES issued last: the TN accepts no other DC. */
  readonly dcKeyDigest: Uint8Array;
  /** The nonce of the TN's registration: an acknowledgement is good for one enrolment only. */
  readonly nonce: Uint8Array;
  readonly hesCounter: number;
  readonly firmwareFloor: number;
}

/** The DC's signed statement, for one TN, of the counter its last automation command used. */
export interface CounterAnchor extends Signed {
  readonly cls: MessageClass.CounterAnchor;
  readonly dc: string;
  readonly tn: string;
  /** The nonce of the TN's registration, so an anchor cannot be kept and replayed later. */
  readonly nonce: Uint8Array;
  readonly counter: number;
}

export interface TnEnrolment {
  readonly cls: MessageClass.TnEnrolment;
  readonly tn: string;
  readonly hesCert: Uint8Array;
  readonly dcCert: Uint8Array;
  /** The encoded TnAck frame, passed on unchanged by the DC. */
  readonly ack: Uint8Array;
  /** The encoded CounterAnchor frame of the DC. */
  readonly anchor: Uint8Array;
}

export interface MeterRequest extends Signed {
  readonly cls: MessageClass.MeterRequest;
  readonly hes: string;
  readonly group: string;
  readonly counter: number;
  /** What to read; 0 = energy registers. */
  readonly request: number;
}

/** Clear part of an encrypted frame; `header` is the AEAD associated data. */
interface Sealed {
  readonly header: Uint8Array;
  readonly sealed: Uint8Array;
}

export interface MeterResponse extends Sealed {
  readonly cls: MessageClass.MeterResponse;
  readonly tn: string;
  readonly hes: string;
}

export interface Confidential extends Sealed {
  readonly cls: MessageClass.Confidential;
  readonly hes: string;
  readonly tn: string;
}

export interface Automation extends Signed {
  readonly cls: MessageClass.Automation;
  readonly dc: string;
  readonly group: string;
  readonly counter: number;
  /** Relay state to switch to: 0 open (off), 1 closed (on). */
  readonly relay: 0 | 1;
}

export interface FirmwareManifest extends Signed {
  readonly cls: MessageClass.FirmwareManifest;
  readonly issuer: string;
  readonly group: string;
  readonly version: number;
  readonly size: number;
  readonly chunkSize: number;
  readonly digest: Uint8Array;
}

export interface FirmwareChunk {
  readonly cls: MessageClass.FirmwareChunk;
  readonly version: number;
  readonly index: number;
  readonly data: Uint8Array;
}

export interface TlsRecord {
  readonly cls: MessageClass.TlsRecord;
  readonly tn: string;
  readonly payload: Uint8Array;
}

export type Frame =
  | DcCsr
  | DcEnrolment
  | TnKey
  | TnAck
  | CounterAnchor
  | TnEnrolment
  | MeterRequest
  | MeterResponse
  | Confidential
  | Automation
  | FirmwareManifest
  | FirmwareChunk
  | TlsRecord;

/** What a frame becomes before signing: the class-specific fields without signature. */
export type Unsigned<F> = Omit<F, 'signed' | 'signature'>;
type SealedFields<F> = Omit<F, 'header' | 'sealed'>;

const header = (cls: MessageClass): ByteWriter => new ByteWriter().u8(WIRE_VERSION).u8(cls);

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
      return header(f.cls).id(f.dc).bytes(key(f.signKey)).bytes(key(f.encKey)).finish();
    case MessageClass.TnKey:
      return header(f.cls).id(f.tn).id(f.dc).bytes(key(f.signKey)).bytes(key(f.encKey)).bytes(nonce(f.nonce)).finish();
    case MessageClass.TnAck:
      return header(f.cls)
        .id(f.hes)
        .id(f.tn)
        .id(f.dc)
        .bytes(digest(f.keyDigest))
        .bytes(digest(f.dcKeyDigest))
        .bytes(nonce(f.nonce))
        .u32(f.hesCounter)
        .u32(f.firmwareFloor)
        .finish();
    case MessageClass.CounterAnchor:
      return header(f.cls).id(f.dc).id(f.tn).bytes(nonce(f.nonce)).u32(f.counter).finish();
    case MessageClass.MeterRequest:
      return header(f.cls).id(f.hes).id(f.group).u32(f.counter).u8(f.request).finish();
    case MessageClass.Automation:
      return header(f.cls).id(f.dc).id(f.group).u32(f.counter).u8(f.relay).finish();
    case MessageClass.FirmwareManifest:
      return header(f.cls).id(f.issuer).id(f.group).u32(f.version).u32(f.size).u16(f.chunkSize).bytes(digest(f.digest)).finish();
  }
}

/** A signed frame on the wire: its signed bytes followed by the signature. */
export function withSignature(signed: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_BYTES) throw new RangeError(`signature must be ${SIGNATURE_BYTES} bytes`);
  return new ByteWriter().bytes(signed).bytes(signature).finish();
}

// ---- frames without signatures --------------------------------------------------------------

export function encodeDcEnrolment(f: Omit<DcEnrolment, 'cls'>): Uint8Array {
  return header(MessageClass.DcEnrolment).id(f.dc).blob16(f.hesCert).blob16(f.dcCert).finish();
}

export function encodeTnEnrolment(f: Omit<TnEnrolment, 'cls'>): Uint8Array {
  return header(MessageClass.TnEnrolment).id(f.tn).blob16(f.hesCert).blob16(f.dcCert).blob16(f.ack).blob16(f.anchor).finish();
}

export function encodeFirmwareChunk(f: Omit<FirmwareChunk, 'cls'>): Uint8Array {
  return header(MessageClass.FirmwareChunk).u32(f.version).u16(f.index).blob16(f.data).finish();
}

export function encodeTlsRecord(f: Omit<TlsRecord, 'cls'>): Uint8Array {
  return header(MessageClass.TlsRecord).id(f.tn).bytes(f.payload).finish();
}

// ---- encrypted frames -----------------------------------------------------------------------

/** The clear header of a meter response or confidential message: sender, then recipient. */
export function sealedHeader(f: SealedFields<MeterResponse> | SealedFields<Confidential>): Uint8Array {
  return f.cls === MessageClass.MeterResponse ? header(f.cls).id(f.tn).id(f.hes).finish() : header(f.cls).id(f.hes).id(f.tn).finish();
}

export function encodeSealed(headerBytes: Uint8Array, sealed: Uint8Array): Uint8Array {
  return new ByteWriter().bytes(headerBytes).bytes(sealed).finish();
}

/** Meter response plaintext: counter, registers, signature over header || counter || registers. */
export interface MeterReading {
  readonly counter: number;
  /** OBIS-like register code to value (e.g. 1 = active energy import in Wh). */
  readonly registers: ReadonlyArray<readonly [code: number, value: number]>;
}

export function meterReadingBody(r: MeterReading): Uint8Array {
  const w = new ByteWriter().u32(r.counter).u8(r.registers.length);
  for (const [code, value] of r.registers) w.u8(code).u64(value);
  return w.finish();
}

export interface ConfidentialContent {
  readonly counter: number;
  readonly payload: Uint8Array;
}

export function confidentialBody(c: ConfidentialContent): Uint8Array {
  return new ByteWriter().u32(c.counter).blob16(c.payload).finish();
}

/** Signed bytes of an encrypted frame's content: the clear header followed by the body. */
export const sealedSignedBytes = (headerBytes: Uint8Array, body: Uint8Array): Uint8Array =>
  new ByteWriter().bytes(headerBytes).bytes(body).finish();

export interface OpenedContent<T> {
  readonly content: T;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

export function decodeMeterReading(headerBytes: Uint8Array, plaintext: Uint8Array): Result<OpenedContent<MeterReading>> {
  return boundary('meter reading', () => {
    const r = new ByteReader(plaintext);
    const counter = r.u32('counter');
    const n = r.u8('register count');
    const registers: Array<readonly [number, number]> = [];
    for (let i = 0; i < n; i++) registers.push([r.u8('register code'), r.u64('register value')]);
    const body = r.slice(0);
    const signature = r.bytes(SIGNATURE_BYTES, 'signature');
    r.end('meter reading');
    return { content: { counter, registers }, signed: sealedSignedBytes(headerBytes, body), signature };
  });
}

export function decodeConfidentialContent(headerBytes: Uint8Array, plaintext: Uint8Array): Result<OpenedContent<ConfidentialContent>> {
  return boundary('confidential content', () => {
    const r = new ByteReader(plaintext);
    const counter = r.u32('counter');
    const payload = r.blob16('payload');
    const body = r.slice(0);
    const signature = r.bytes(SIGNATURE_BYTES, 'signature');
    r.end('confidential content');
    return { content: { counter, payload }, signed: sealedSignedBytes(headerBytes, body), signature };
  });
}

// ---- decoding -------------------------------------------------------------------------------

export function decodeFrame(bytes: Uint8Array): Result<Frame> {
  return boundary('frame', () => {
    const r = new ByteReader(bytes);
    const version = r.u8('version');
    if (version !== WIRE_VERSION) throw new DecodeFailure('bad-version', `wire version ${version}, expected ${WIRE_VERSION}`);
    const cls = r.u8('class') as MessageClass;
    const frame = decodeBody(cls, r);
    r.end('frame');
    return frame;
  });
}

function decodeBody(cls: MessageClass, r: ByteReader): Frame {
  switch (cls) {
    case MessageClass.DcCsr: {
      const dc = r.id('dc');
      const signKey = r.bytes(PUBLIC_KEY_BYTES, 'signKey');
      const encKey = r.bytes(PUBLIC_KEY_BYTES, 'encKey');
      return { cls, dc, signKey, encKey, ...signature(r) };
    }
    case MessageClass.DcEnrolment:
      return { cls, dc: r.id('dc'), hesCert: r.blob16('hesCert'), dcCert: r.blob16('dcCert') };
    case MessageClass.TnKey: {
      const tn = r.id('tn');
      const dc = r.id('dc');
      const signKey = r.bytes(PUBLIC_KEY_BYTES, 'signKey');
      const encKey = r.bytes(PUBLIC_KEY_BYTES, 'encKey');
      const nonce = r.bytes(NONCE_BYTES, 'nonce');
      return { cls, tn, dc, signKey, encKey, nonce, ...signature(r) };
    }
    case MessageClass.TnAck: {
      const hes = r.id('hes');
      const tn = r.id('tn');
      const dc = r.id('dc');
      const keyDigest = r.bytes(DIGEST_BYTES, 'keyDigest');
      const dcKeyDigest = r.bytes(DIGEST_BYTES, 'dcKeyDigest');
      const nonce = r.bytes(NONCE_BYTES, 'nonce');
      const hesCounter = r.u32('hesCounter');
      const firmwareFloor = r.u32('firmwareFloor');
      return { cls, hes, tn, dc, keyDigest, dcKeyDigest, nonce, hesCounter, firmwareFloor, ...signature(r) };
    }
    case MessageClass.CounterAnchor: {
      const dc = r.id('dc');
      const tn = r.id('tn');
      const nonce = r.bytes(NONCE_BYTES, 'nonce');
      const counter = r.u32('counter');
      return { cls, dc, tn, nonce, counter, ...signature(r) };
    }
    case MessageClass.TnEnrolment:
      return {
        cls,
        tn: r.id('tn'),
        hesCert: r.blob16('hesCert'),
        dcCert: r.blob16('dcCert'),
        ack: r.blob16('ack'),
        anchor: r.blob16('anchor'),
      };
    case MessageClass.MeterRequest: {
      const hes = r.id('hes');
      const group = r.id('group');
      const counter = r.u32('counter');
      const request = r.u8('request');
      return { cls, hes, group, counter, request, ...signature(r) };
    }
    case MessageClass.MeterResponse: {
      const tn = r.id('tn');
      const hes = r.id('hes');
      return { cls, tn, hes, header: r.slice(0), sealed: sealedPart(r) };
    }
    case MessageClass.Confidential: {
      const hes = r.id('hes');
      const tn = r.id('tn');
      return { cls, hes, tn, header: r.slice(0), sealed: sealedPart(r) };
    }
    case MessageClass.Automation: {
      const dc = r.id('dc');
      const group = r.id('group');
      const counter = r.u32('counter');
      const relay = r.u8('relay');
      if (relay > 1) throw new DecodeFailure('bad-field', `relay: ${relay} is neither 0 nor 1`);
      return { cls, dc, group, counter, relay: relay as 0 | 1, ...signature(r) };
    }
    case MessageClass.FirmwareManifest: {
      const issuer = r.id('issuer');
      const group = r.id('group');
      const version = r.u32('version');
      const size = r.u32('size');
      const chunkSize = r.u16('chunkSize');
      if (chunkSize === 0) throw new DecodeFailure('bad-field', 'chunkSize: must be positive');
      const digest = r.bytes(DIGEST_BYTES, 'digest');
      return { cls, issuer, group, version, size, chunkSize, digest, ...signature(r) };
    }
    case MessageClass.FirmwareChunk:
      return { cls, version: r.u32('version'), index: r.u16('index'), data: r.blob16('data') };
    case MessageClass.TlsRecord:
      return { cls, tn: r.id('tn'), payload: r.rest() };
    default:
      throw new DecodeFailure('unknown-class', `class 0x${Number(cls).toString(16).padStart(2, '0')} is not a frame class`);
  }
}

function signature(r: ByteReader): Signed {
  const signed = r.slice(0);
  return { signed, signature: r.bytes(SIGNATURE_BYTES, 'signature') };
}

function sealedPart(r: ByteReader): Uint8Array {
  if (r.remaining < SEAL_OVERHEAD_BYTES)
    throw new DecodeFailure('truncated', `sealed content: ${r.remaining} bytes, at least ${SEAL_OVERHEAD_BYTES} needed`);
  return r.rest();
}

function key(k: Uint8Array): Uint8Array {
  if (k.length !== PUBLIC_KEY_BYTES) throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes, got ${k.length}`);
  return k;
}

function nonce(n: Uint8Array): Uint8Array {
  if (n.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes, got ${n.length}`);
  return n;
}

function digest(d: Uint8Array): Uint8Array {
  if (d.length !== DIGEST_BYTES) throw new RangeError(`digest must be ${DIGEST_BYTES} bytes, got ${d.length}`);
  return d;
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
