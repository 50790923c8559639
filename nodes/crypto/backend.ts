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
 * a point not on the curve. Neither throws. Two real backends implement this: noble (pure JS, the
 * reference) and node (node:crypto, about 25 times faster at verifying), proven interchangeable
 * by the tests. A third, ideal (ideal.ts), is the ideal functionality they approximate, for the
 * largest runs: same sizes on the wire, no public-key arithmetic.
 *
 * Every backend draws its keys, ephemeral keys and nonces from a RandomSource: the system CSPRNG
 * by default, or one seeded from the run's seed (seeded.ts), so that a run repeats exactly.
 */
export interface KeyPair {
  /** 32-byte scalar. Never logged. */
  readonly secretKey: Uint8Array;
  /** 33-byte compressed point. */
  readonly publicKey: Uint8Array;
}

/** The backends computing real ECDSA and ECIES, interchangeable on the wire. */
export type RealBackendName = 'noble' | 'node';
export type BackendName = RealBackendName | 'ideal';
export const BACKEND_NAMES: readonly BackendName[] = ['node', 'noble', 'ideal'];

/** n bytes of key material or nonce. */
export type RandomSource = (n: number) => Uint8Array;

export interface CryptoBackend {
  readonly name: BackendName;
  generateKeyPair(): KeyPair;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  seal(plaintext: Uint8Array, recipientPublicKey: Uint8Array, associatedData: Uint8Array): Uint8Array;
  open(sealed: Uint8Array, secretKey: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined;
  sha256(data: Uint8Array): Uint8Array;
  /** n bytes from the backend's RandomSource (nonces; never the simulation's Random). */
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

/** A secret scalar in [1, n) from the source, by rejection (almost never more than one draw). */
export function secretScalar(random: RandomSource): Uint8Array {
  for (;;) {
    const d = random(32);
    let v = 0n;
    for (const b of d) v = (v << 8n) | BigInt(b);
    if (v > 0n && v < P256_N) return d;
  }
}
