/** The reference backend: @noble/curves, @noble/hashes and @noble/ciphers, pure JavaScript. */
import { p256 } from '@noble/curves/nist.js';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  AES_KEY_BYTES,
  EPHEMERAL_KEY_BYTES,
  GCM_NONCE_BYTES,
  GCM_TAG_BYTES,
  HYBRID_INFO,
  secretScalar,
  type CryptoBackend,
  type KeyPair,
  type RandomSource,
} from './backend';
import { concatBytes } from '../../core/bytes';

function deriveKeyAndNonce(sharedPoint: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array) {
  const okm = hkdf(sha256, sharedPoint.subarray(1), concatBytes(ephemeral, recipient), HYBRID_INFO, AES_KEY_BYTES + GCM_NONCE_BYTES);
  return { key: okm.subarray(0, AES_KEY_BYTES), nonce: okm.subarray(AES_KEY_BYTES) };
}

function keyPair(random: RandomSource): KeyPair {
  const secretKey = secretScalar(random);
  return { secretKey, publicKey: p256.getPublicKey(secretKey, true) };
}

/** The noble backend drawing keys and nonces from `random` (signatures are RFC 6979, deterministic). */
export function createNobleBackend(random: RandomSource = randomBytes): CryptoBackend {
  return {
    name: 'noble',

    generateKeyPair(): KeyPair {
      return keyPair(random);
    },

    sign(message, secretKey) {
      // prehash with SHA-256, RFC 6979 nonces, low-s: noble's defaults, stated for the reader
      return p256.sign(message, secretKey, { prehash: true, lowS: true });
    },

    verify(signature, message, publicKey) {
      try {
        return p256.verify(signature, message, publicKey, { prehash: true, lowS: true });
      } catch {
        return false;
      }
    },

    seal(plaintext, recipientPublicKey, associatedData) {
      const ephemeral = keyPair(random);
      const shared = p256.getSharedSecret(ephemeral.secretKey, recipientPublicKey, true);
      const { key, nonce } = deriveKeyAndNonce(shared, ephemeral.publicKey, recipientPublicKey);
      return concatBytes(ephemeral.publicKey, gcm(key, nonce, associatedData).encrypt(plaintext));
    },

    open(sealed, secretKey, associatedData) {
      if (sealed.length < EPHEMERAL_KEY_BYTES + GCM_TAG_BYTES) return undefined;
      try {
        const ephemeral = sealed.subarray(0, EPHEMERAL_KEY_BYTES);
        const shared = p256.getSharedSecret(secretKey, ephemeral, true);
        const { key, nonce } = deriveKeyAndNonce(shared, ephemeral, p256.getPublicKey(secretKey, true));
        return gcm(key, nonce, associatedData).decrypt(sealed.subarray(EPHEMERAL_KEY_BYTES));
      } catch {
        return undefined;
      }
    },

    sha256(data) {
      return sha256(data);
    },

    randomBytes(n) {
      return random(n);
    },
  };
}

export const nobleBackend: CryptoBackend = createNobleBackend();
