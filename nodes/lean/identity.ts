/**
 * A node's two key pairs: one for ECDSA signatures, one for ECDH (hybrid encryption). Kept apart
 * so that no key is used both to sign and to agree keys. Created on first start, then loaded from
 * the node's store (a secret record, mode 0600).
 */
import type { CryptoBackend, KeyPair } from '../crypto/backend';
import { concatBytes, fromHex, toHex } from '../../core/bytes';
import { getJson, putJson, type NodeStore } from '../store/node-store';

export interface Identity {
  readonly sign: KeyPair;
  readonly enc: KeyPair;
}

interface StoredKeys {
  signSecret: string;
  signPublic: string;
  encSecret: string;
  encPublic: string;
}

/**
 * The unit's keys from its store, made and saved there on first use. The mode loads each unit's
 * once, as it provisions it, and hands them to the node it builds (LeanNodeDeps.identity): a
 * national run holds a million, and they are not decoded twice nor looked up in a table by store.
 */
export function loadOrCreateIdentity(store: NodeStore, crypto: CryptoBackend): Identity {
  const stored = getJson<StoredKeys>(store, 'keys');
  if (stored) {
    return {
      sign: { secretKey: fromHex(stored.signSecret), publicKey: fromHex(stored.signPublic) },
      enc: { secretKey: fromHex(stored.encSecret), publicKey: fromHex(stored.encPublic) },
    };
  }
  const identity = { sign: crypto.generateKeyPair(), enc: crypto.generateKeyPair() };
  const record: StoredKeys = {
    signSecret: toHex(identity.sign.secretKey),
    signPublic: toHex(identity.sign.publicKey),
    encSecret: toHex(identity.enc.secretKey),
    encPublic: toHex(identity.enc.publicKey),
  };
  putJson(store, 'keys', record, { secret: true });
  return identity;
}

/** SHA-256 of signKey || encKey: what the HES's allow-list pins and the TnAck names. */
export function keyFingerprint(signKey: Uint8Array, encKey: Uint8Array, crypto: CryptoBackend): Uint8Array {
  return crypto.sha256(concatBytes(signKey, encKey));
}
