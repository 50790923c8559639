/**
 * The ideal functionality that ECDSA and ECIES approximate, for runs too large to pay for P-256
 * on the host (a million TNs): signing and sealing are bound to the holder of a secret key, and a
 * verification or an opening succeeds only for exactly what that holder produced. Forgeries,
 * tampering and frames for another recipient are refused as with real crypto, and replays are
 * refused by the protocol as ever; what it does not model is an attack on the algorithms.
 *
 * The functionality's record of who signed what, and for whom a box was sealed, is kept in its
 * outputs rather than in a table (so that it costs no memory per message and works across the
 * processes of a distributed run): a public key is the secret key enciphered under the
 * functionality's own key (AES-256, a permutation), so the functionality - and only it, never a
 * node or an attacker, who hold public keys and their own secrets - recovers the holder's secret
 * from a public key; a signature is HMAC-SHA-512 of the message under the signer's secret; a box
 * is AES-128-GCM under a key derived from the recipient's secret and a fresh 32-byte value.
 * Sizes are those of the real backends (33-byte keys, 64-byte signatures, 33 + n + 16-byte boxes),
 * so the wire carries the same bytes' worth; the CPU time a real TN would spend is charged on the
 * clock by its compute profile (nodes/compute-profile.ts), the host spends microseconds.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AES_KEY_BYTES, EPHEMERAL_KEY_BYTES, GCM_NONCE_BYTES, GCM_TAG_BYTES, type CryptoBackend, type RandomSource } from './backend';
import { concatBytes } from '../../core/bytes';
import { asBuffer, gcmOpen, gcmSeal } from './gcm-box';

const FUNCTIONALITY_KEY = createHash('sha256').update('gridbench/v1 ideal signature and sealing functionality').digest();
const KEY_PREFIX = 0x02;
const SIGN_LABEL = Buffer.from('gridbench/v1 ideal signature\u0000');
const SEAL_LABEL = Buffer.from('gridbench/v1 ideal sealing\u0000');

/**
 * The functionality's AES-256 in ECB mode, one cipher each way for the process: ECB enciphers
 * each block on its own and, without padding, update() gives back every whole block at once, so
 * a long-lived cipher gives what a fresh one per key would, without OpenSSL's set-up (most of the
 * cost: a lean TN verifies a signature for every command, issue 13). Only whole blocks go in.
 */
const encipher = createCipheriv('aes-256-ecb', FUNCTIONALITY_KEY, null).setAutoPadding(false);
const decipher = createDecipheriv('aes-256-ecb', FUNCTIONALITY_KEY, null).setAutoPadding(false);

/**
 * A node's key copied into a pooled Buffer for node:crypto. A key of 33 bytes or less keeps its
 * bytes in V8's heap until something asks for its ArrayBuffer, as a view (subarray, asBuffer) or
 * node:crypto taking it as a key does; then it has one of its own outside the heap for good, which
 * the collector tracks on every collection: a million TNs' keys were millions of them (issue 13).
 */
const keyCopy = (key: Uint8Array): Buffer => Buffer.from(key);

function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== 32) throw new RangeError('ideal backend: a secret key is 32 bytes');
  return concatBytes(Uint8Array.of(KEY_PREFIX), encipher.update(keyCopy(secretKey)));
}

/** The holder's secret behind a public key, or undefined for anything not a 33-byte ideal key. */
function holderOf(publicKey: Uint8Array): Buffer | undefined {
  if (publicKey.length !== EPHEMERAL_KEY_BYTES || publicKey[0] !== KEY_PREFIX) return undefined;
  return decipher.update(keyCopy(publicKey).subarray(1));
}

const signatureOf = (message: Uint8Array, secretKey: Uint8Array) =>
  createHmac('sha512', keyCopy(secretKey)).update(SIGN_LABEL).update(message).digest();

function boxKey(recipientSecret: Uint8Array, fresh: Uint8Array) {
  const okm = createHmac('sha256', keyCopy(recipientSecret)).update(SEAL_LABEL).update(fresh).digest();
  return { key: okm.subarray(0, AES_KEY_BYTES), nonce: okm.subarray(AES_KEY_BYTES, AES_KEY_BYTES + GCM_NONCE_BYTES) };
}

export function createIdealBackend(random: RandomSource = (n) => new Uint8Array(randomBytes(n))): CryptoBackend {
  return {
    name: 'ideal',

    generateKeyPair() {
      const secretKey = random(32);
      return { secretKey, publicKey: publicKeyOf(secretKey) };
    },

    sign(message, secretKey) {
      return new Uint8Array(signatureOf(message, secretKey));
    },

    verify(signature, message, publicKey) {
      const holder = holderOf(publicKey);
      if (!holder || signature.length !== 64) return false;
      return timingSafeEqual(signatureOf(message, holder), asBuffer(signature));
    },

    seal(plaintext, recipientPublicKey, associatedData) {
      const holder = holderOf(recipientPublicKey);
      // a box for a key no one holds: sealed under a throwaway key, so no one opens it
      const secret = holder ?? random(32);
      const fresh = concatBytes(Uint8Array.of(KEY_PREFIX), random(EPHEMERAL_KEY_BYTES - 1));
      return gcmSeal(fresh, boxKey(secret, fresh), plaintext, associatedData);
    },

    open(sealed, secretKey, associatedData) {
      if (sealed.length < EPHEMERAL_KEY_BYTES + GCM_TAG_BYTES || secretKey.length !== 32) return undefined;
      try {
        return gcmOpen(sealed, boxKey(secretKey, sealed.subarray(0, EPHEMERAL_KEY_BYTES)), associatedData);
      } catch {
        return undefined;
      }
    },

    sha256(data) {
      return new Uint8Array(createHash('sha256').update(data).digest());
    },

    randomBytes(n) {
      return random(n);
    },
  };
}

export const idealBackend: CryptoBackend = createIdealBackend();
