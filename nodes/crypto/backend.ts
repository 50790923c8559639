/**
 * The protocol's cryptography behind one small interface, bytes in and bytes out:
 *
 * - signatures: ECDSA P-256 over SHA-256, 64-byte r||s, s always in the low half of the group
 *   order (signing normalises, verification refuses high s), so a signature has exactly one
 *   encoding and cannot be mutated into a second valid one;
 * - hybrid encryption (seal/open): an ephemeral P-256 key agreed with the recipient's key; the
 *   shared x-coordinate goes through HKDF-SHA-256 (salt = ephemeral || recipient public key) to
 *   an AES-128-GCM key and nonce; the output is ephemeral public key (33) || ciphertext || tag (16);
 * - SHA-256.
 *
 * verify returns false and open returns undefined for any bad input: wrong key, wrong length,
 * a point not on the curve. Neither throws. Two backends implement this: noble (pure JS, the
 * reference) and node (node:crypto, about 25 times faster at verifying), proven interchangeable
 * by the tests.
 */
export interface KeyPair {
  /** 32-byte scalar. Never logged. */
  readonly secretKey: Uint8Array;
  /** 33-byte compressed point. */
  readonly publicKey: Uint8Array;
}

export type BackendName = 'noble' | 'node';

export interface CryptoBackend {
  readonly name: BackendName;
  generateKeyPair(): KeyPair;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  seal(plaintext: Uint8Array, recipientPublicKey: Uint8Array, associatedData: Uint8Array): Uint8Array;
  open(sealed: Uint8Array, secretKey: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined;
  sha256(data: Uint8Array): Uint8Array;
  /** n bytes from the CSPRNG (nonces; never the simulation's seeded Random). */
  randomBytes(n: number): Uint8Array;
}

export const HYBRID_INFO = new TextEncoder().encode('gridbench/v1 hybrid P-256 HKDF-SHA-256 AES-128-GCM');
export const AES_KEY_BYTES = 16;
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const EPHEMERAL_KEY_BYTES = 33;

/** Order n of the P-256 group, and n/2 for the low-s rule. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
export const P256_HALF_N = P256_N >> 1n;
