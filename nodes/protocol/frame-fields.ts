/**
 * What every frame class of the lean protocol is built from: the two-byte header, field sizes,
 * the signature that ends a signed frame and the sealed part of an encrypted one. The classes
 * themselves are in enrolment-frames.ts and operational-frames.ts; frame.ts is the codec.
 */
import { EPHEMERAL_KEY_BYTES, GCM_TAG_BYTES } from '../crypto/backend';
import { ByteWriter, DecodeFailure, type ByteReader } from './bytes';
import { WIRE_VERSION, type MessageClass } from './message-class';

export const PUBLIC_KEY_BYTES = 33;
export const SIGNATURE_BYTES = 64;
export const DIGEST_BYTES = 32;
/** The fresh random value a TN puts in one enrolment attempt; the answers must echo it. */
export const NONCE_BYTES = 16;
/** Ephemeral public key plus AES-GCM tag that sealing adds to a plaintext. */
export const SEAL_OVERHEAD_BYTES = EPHEMERAL_KEY_BYTES + GCM_TAG_BYTES;
/** Group id addressing every TN (HES multicast, firmware). */
export const ALL_TNS = '*';

export interface Signed {
  /** Bytes the signature covers. */
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

/** Clear part of an encrypted frame; `header` is the AEAD associated data. */
export interface Sealed {
  readonly header: Uint8Array;
  readonly sealed: Uint8Array;
}

/** What a frame becomes before signing: the class-specific fields without signature. */
export type Unsigned<F> = Omit<F, 'signed' | 'signature'>;
export type SealedFields<F> = Omit<F, 'header' | 'sealed'>;

/** A writer that has written the wire header of a class. */
export const header = (cls: MessageClass): ByteWriter => new ByteWriter().u8(WIRE_VERSION).u8(cls);

/** Reads the signature that ends a signed frame; what came before it is what it signs. */
export function signature(r: ByteReader): Signed {
  const signed = r.slice(0);
  return { signed, signature: r.bytes(SIGNATURE_BYTES, 'signature') };
}

export function sealedPart(r: ByteReader): Uint8Array {
  if (r.remaining < SEAL_OVERHEAD_BYTES)
    throw new DecodeFailure('truncated', `sealed content: ${r.remaining} bytes, at least ${SEAL_OVERHEAD_BYTES} needed`);
  return r.rest();
}

export function key(k: Uint8Array): Uint8Array {
  if (k.length !== PUBLIC_KEY_BYTES) throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes, got ${k.length}`);
  return k;
}

export function nonce(n: Uint8Array): Uint8Array {
  if (n.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes, got ${n.length}`);
  return n;
}

export function digest(d: Uint8Array): Uint8Array {
  if (d.length !== DIGEST_BYTES) throw new RangeError(`digest must be ${DIGEST_BYTES} bytes, got ${d.length}`);
  return d;
}
