/**
 * How a node turns content into a protected frame: sign it, or sign it and then encrypt it for the
 * recipient. Every sender (and the size tables, fuzzers and benchmarks) goes through these two.
 */
import type { CryptoBackend } from '../crypto/backend';
import { signedBytes, withSignature } from '../protocol/frame';
import { encodeSealed, sealedSignedBytes } from '../protocol/operational-frames';

export interface Protected {
  readonly frame: Uint8Array;
  /** The bytes the signature covers (what the goal oracle is told was sent). */
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
}

export function signFrame(unsigned: Parameters<typeof signedBytes>[0], secretKey: Uint8Array, crypto: CryptoBackend): Protected {
  const signed = signedBytes(unsigned);
  const signature = crypto.sign(signed, secretKey);
  return { frame: withSignature(signed, signature), signed, signature };
}

/**
 * Signs header || body, then seals body || signature for the recipient with the header as
 * associated data. The header (sender, recipient, class) is thus both authenticated by the AEAD
 * and covered by the signature.
 */
export function signThenSeal(
  header: Uint8Array,
  body: Uint8Array,
  senderSecretKey: Uint8Array,
  recipientEncKey: Uint8Array,
  crypto: CryptoBackend,
): Protected {
  const signed = sealedSignedBytes(header, body);
  const signature = crypto.sign(signed, senderSecretKey);
  const sealed = crypto.seal(sealedSignedBytes(body, signature), recipientEncKey, header);
  return { frame: encodeSealed(header, sealed), signed, signature };
}
