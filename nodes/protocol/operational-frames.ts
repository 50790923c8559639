/**
 * The operational frames, once nodes are enrolled: meter reading (MeterRequest, MeterResponse),
 * confidential messages, automation commands, firmware (FirmwareManifest, FirmwareChunk), and the
 * TLS records of smgw-tls mode. Meter responses and confidential messages are encrypted: the clear
 * header (version, class, sender, recipient) is the AEAD's associated data and the start of what
 * the plaintext's signature covers.
 */
import { boundary, ByteReader, ByteWriter, DecodeFailure } from './bytes';
import {
  digest,
  header,
  sealedPart,
  signature,
  DIGEST_BYTES,
  SIGNATURE_BYTES,
  type Sealed,
  type SealedFields,
  type Signed,
  type Unsigned,
} from './frame-fields';
import { MessageClass } from './message-class';
import type { Result } from './rejection';

export interface MeterRequest extends Signed {
  readonly cls: MessageClass.MeterRequest;
  readonly hes: string;
  readonly group: string;
  readonly counter: number;
  /** What to read; 0 = energy registers. */
  readonly request: number;
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

/**
 * A piece of a firmware image. `next` is the link of the following chunk in the release's hash
 * chain (zeros for the last): a chunk is checked on arrival against its own link, which the
 * manifest signs (chunk 0) or the chunk before it carries (nodes/lean/firmware-chain.ts).
 */
export interface FirmwareChunk {
  readonly cls: MessageClass.FirmwareChunk;
  readonly version: number;
  readonly index: number;
  readonly data: Uint8Array;
  readonly next: Uint8Array;
}

export interface TlsRecord {
  readonly cls: MessageClass.TlsRecord;
  readonly tn: string;
  readonly payload: Uint8Array;
}

export type OperationalFrame = MeterRequest | MeterResponse | Confidential | Automation | FirmwareManifest | FirmwareChunk | TlsRecord;

/** The bytes a signer of an operational frame signs (the frame minus its signature). */
export function operationalSignedBytes(f: Unsigned<MeterRequest> | Unsigned<Automation> | Unsigned<FirmwareManifest>): Uint8Array {
  switch (f.cls) {
    case MessageClass.MeterRequest:
      return header(f.cls).id(f.hes).id(f.group).u32(f.counter).u8(f.request).finish();
    case MessageClass.Automation:
      return header(f.cls).id(f.dc).id(f.group).u32(f.counter).u8(f.relay).finish();
    case MessageClass.FirmwareManifest:
      return header(f.cls).id(f.issuer).id(f.group).u32(f.version).u32(f.size).u16(f.chunkSize).bytes(digest(f.digest)).finish();
  }
}

export function encodeFirmwareChunk(f: Omit<FirmwareChunk, 'cls'>): Uint8Array {
  return header(MessageClass.FirmwareChunk).u32(f.version).u16(f.index).blob16(f.data).bytes(digest(f.next)).finish();
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
  return new ByteWriter(headerBytes.length + sealed.length).bytes(headerBytes).bytes(sealed).finish();
}

/** Meter response plaintext: counter, registers, signature over header || counter || registers. */
export interface MeterReading {
  readonly counter: number;
  /** OBIS-like register code to value (e.g. 1 = active energy import in Wh). */
  readonly registers: ReadonlyArray<readonly [code: number, value: number]>;
}

export function meterReadingBody(r: MeterReading): Uint8Array {
  const w = new ByteWriter(5 + 9 * r.registers.length).u32(r.counter).u8(r.registers.length);
  for (const [code, value] of r.registers) w.u8(code).u64(value);
  return w.finish();
}

export interface ConfidentialContent {
  readonly counter: number;
  readonly payload: Uint8Array;
}

export function confidentialBody(c: ConfidentialContent): Uint8Array {
  return new ByteWriter(6 + c.payload.length).u32(c.counter).blob16(c.payload).finish();
}

/** Signed bytes of an encrypted frame's content: the clear header followed by the body. */
export const sealedSignedBytes = (headerBytes: Uint8Array, body: Uint8Array): Uint8Array =>
  new ByteWriter(headerBytes.length + body.length).bytes(headerBytes).bytes(body).finish();

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

/** The body of an operational frame after its header; undefined when `cls` is not an operational class. */
export function decodeOperationalBody(cls: MessageClass, r: ByteReader): OperationalFrame | undefined {
  switch (cls) {
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
      return { cls, version: r.u32('version'), index: r.u16('index'), data: r.blob16('data'), next: r.bytes(DIGEST_BYTES, 'next') };
    case MessageClass.TlsRecord:
      return { cls, tn: r.id('tn'), payload: r.rest() };
    default:
      return undefined;
  }
}
