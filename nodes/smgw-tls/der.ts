/**
 * The few DER encodings an X.509 v3 certificate needs. Node has no certificate-building API, and
 * the WebCrypto-based libraries cannot sign with brainpoolP256r1; this encoder plus node:crypto's
 * sign() covers both curves without a dependency.
 */
import { concatBytes } from '../../core/bytes';

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** The big-endian bytes of a non-negative integer, none for 0. */
function base256(n: number): number[] {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return bytes;
}

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes = base256(length);
  return [0x80 | bytes.length, ...bytes];
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(tag, ...lengthBytes(content.length)), content);
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(TAG.sequence, concatBytes(...items));
export const set = (...items: Uint8Array[]): Uint8Array => tlv(TAG.set, concatBytes(...items));
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(TAG.octetString, bytes);
export const utf8String = (text: string): Uint8Array => tlv(TAG.utf8String, new TextEncoder().encode(text));
export const boolean = (value: boolean): Uint8Array => tlv(TAG.boolean, Uint8Array.of(value ? 0xff : 0x00));
/** [n] EXPLICIT: a constructed context-specific wrapper. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);
/** [n] IMPLICIT on a primitive type: the content with the context tag in place of the type's. */
export const implicitPrimitive = (n: number, content: Uint8Array): Uint8Array => tlv(0x80 | n, content);
export const ia5String = (text: string): Uint8Array => tlv(TAG.ia5String, new TextEncoder().encode(text));

/** A non-negative INTEGER from big-endian magnitude bytes (a leading zero keeps it positive). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const body = (trimmed[0] ?? 0) & 0x80 ? concatBytes(Uint8Array.of(0), trimmed) : trimmed;
  return tlv(TAG.integer, body.length ? body : Uint8Array.of(0));
}

export const smallInteger = (n: number): Uint8Array => {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`der: integer ${n} out of range`);
  return unsignedInteger(Uint8Array.from(base256(n)));
};

/** BIT STRING of whole bytes (unused-bits count 0), as used for keys and signatures. */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(TAG.bitString, concatBytes(Uint8Array.of(0), bytes));

/**
 * A named-bit BIT STRING (KeyUsage): bit 0 is the most significant bit of the first byte; DER
 * drops trailing zero bits.
 */
export function namedBits(bits: readonly number[]): Uint8Array {
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest & 7);
  return tlv(TAG.bitString, concatBytes(Uint8Array.of(unused), bytes));
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0)) throw new RangeError(`der: bad OID ${dotted}`);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const base128: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift((v & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(TAG.oid, Uint8Array.from(out));
}

/** X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 section 4.1.2.5). */
export function time(at: Date): Uint8Array {
  const iso = at.toISOString(); // 2024-05-01T12:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  const year = at.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`der: certificate time ${iso} out of range`);
  return year < 2050
    ? tlv(TAG.utcTime, new TextEncoder().encode(`${digits.slice(2)}Z`))
    : tlv(TAG.generalizedTime, new TextEncoder().encode(`${digits}Z`));
}

/** Where one element (tag, length, content) sits in `bytes` from `at`: its content, and where the next begins. */
export interface Element {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the element at `at` (definite lengths only, as DER has); throws on bytes that end early. */
export function readElement(bytes: Uint8Array, at: number): Element {
  const tag = bytes[at];
  let length = bytes[at + 1];
  if (tag === undefined || length === undefined) throw new RangeError(`DER: no element at ${at}`);
  let contentStart = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new RangeError(`DER: length of ${n} bytes at ${at}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[contentStart + i] ?? NaN);
    contentStart += n;
  }
  const end = contentStart + length;
  if (!(end <= bytes.length)) throw new RangeError(`DER: element at ${at} runs past the end`);
  return { tag, start: at, contentStart, end };
}
