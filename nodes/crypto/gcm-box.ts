/**
 * The AES-128-GCM body of a sealed box (docs/DESIGN.md, hybrid encryption): the same for the real
 * node:crypto backend and the ideal one, which differ only in how the box's key is agreed.
 * A sealed box is `ephemeral || ciphertext || tag`.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { EPHEMERAL_KEY_BYTES, GCM_TAG_BYTES } from './backend';
import { concatBytes } from '../../core/bytes';

/** A Buffer view of bytes, without a copy, for node:crypto's APIs. */
export const asBuffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export interface BoxKey {
  key: Uint8Array;
  nonce: Uint8Array;
}

export function gcmSeal(ephemeral: Uint8Array, { key, nonce }: BoxKey, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-gcm', key, nonce);
  cipher.setAAD(associatedData);
  return concatBytes(ephemeral, cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
}

/** Throws when the tag does not verify; callers turn that into `undefined`. */
export function gcmOpen(sealed: Uint8Array, { key, nonce }: BoxKey, associatedData: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('aes-128-gcm', key, nonce);
  decipher.setAAD(associatedData);
  decipher.setAuthTag(asBuffer(sealed.subarray(sealed.length - GCM_TAG_BYTES)));
  const body = sealed.subarray(EPHEMERAL_KEY_BYTES, sealed.length - GCM_TAG_BYTES);
  const plaintext = decipher.update(body);
  // GCM holds nothing back: final() only checks the tag (and throws), it adds no bytes
  decipher.final();
  return new Uint8Array(plaintext);
}
