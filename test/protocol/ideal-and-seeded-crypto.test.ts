import { describe, expect, it } from 'vitest';
import { ALL_BACKENDS, CRYPTO_BACKENDS, cryptoBackend } from '../../nodes/crypto';
import { BACKEND_NAMES } from '../../nodes/crypto/backend';
import { seededRandomSource } from '../../nodes/crypto/seeded';
import { toHex } from '../../core/bytes';

const text = (s: string) => new TextEncoder().encode(s);
const ideal = ALL_BACKENDS.ideal;

describe('the ideal backend', () => {
  it('a signature verifies only for the message and the key of the one who signed it', () => {
    const signer = ideal.generateKeyPair();
    const other = ideal.generateKeyPair();
    const sig = ideal.sign(text('relay on'), signer.secretKey);
    expect(sig.length).toBe(64);
    expect(signer.publicKey.length).toBe(33);
    expect(ideal.verify(sig, text('relay on'), signer.publicKey)).toBe(true);
    expect(ideal.verify(sig, text('relay off'), signer.publicKey)).toBe(false);
    expect(ideal.verify(sig, text('relay on'), other.publicKey)).toBe(false);
    // forged by another key holder, or tampered with on the wire
    expect(ideal.verify(ideal.sign(text('relay on'), other.secretKey), text('relay on'), signer.publicKey)).toBe(false);
    for (const i of [0, 31, 63]) {
      const flipped = sig.slice();
      flipped[i]! ^= 1;
      expect(ideal.verify(flipped, text('relay on'), signer.publicKey)).toBe(false);
    }
    expect(ideal.verify(sig.subarray(0, 63), text('relay on'), signer.publicKey)).toBe(false);
    expect(ideal.verify(sig, text('relay on'), signer.publicKey.subarray(0, 32))).toBe(false);
  });

  it('real ECDSA and ideal signatures are not interchangeable', () => {
    const real = CRYPTO_BACKENDS.node.generateKeyPair();
    const realSig = CRYPTO_BACKENDS.node.sign(text('m'), real.secretKey);
    expect(ideal.verify(realSig, text('m'), real.publicKey)).toBe(false);
    const kp = ideal.generateKeyPair();
    expect(CRYPTO_BACKENDS.node.verify(ideal.sign(text('m'), kp.secretKey), text('m'), kp.publicKey)).toBe(false);
  });

  it('a box opens only for its recipient with its associated data, with the real backends sizes', () => {
    const recipient = ideal.generateKeyPair();
    const stranger = ideal.generateKeyPair();
    const aad = text('header');
    const sealed = ideal.seal(text('confidential'), recipient.publicKey, aad);
    expect(sealed.length).toBe(
      CRYPTO_BACKENDS.node.seal(text('confidential'), CRYPTO_BACKENDS.node.generateKeyPair().publicKey, aad).length,
    );
    expect(new TextDecoder().decode(ideal.open(sealed, recipient.secretKey, aad))).toBe('confidential');
    expect(toHex(sealed)).not.toContain(toHex(text('confidential')));
    expect(ideal.open(sealed, stranger.secretKey, aad)).toBeUndefined();
    expect(ideal.open(sealed, recipient.secretKey, text('other header'))).toBeUndefined();
    for (const i of [0, 20, sealed.length - 1]) {
      const flipped = sealed.slice();
      flipped[i]! ^= 1;
      expect(ideal.open(flipped, recipient.secretKey, aad)).toBeUndefined();
    }
    expect(ideal.open(sealed.subarray(0, 40), recipient.secretKey, aad)).toBeUndefined();
  });
});

describe('seeded randomness', () => {
  it.each(BACKEND_NAMES)('%s: the same seed and label give the same keys and nonces, another label others', (name) => {
    const draw = (label: string) => {
      const b = cryptoBackend(name, seededRandomSource(7, label));
      return [toHex(b.generateKeyPair().publicKey), toHex(b.randomBytes(16)), toHex(b.generateKeyPair().secretKey)];
    };
    expect(draw('lean/tn')).toEqual(draw('lean/tn'));
    expect(draw('lean/tn')[0]).not.toBe(draw('lean/dc')[0]);
    expect(new Set(draw('lean/tn')).size).toBe(3);
  });

  it('the real backends derive the same key pair from the same stream, and a seeded box opens', () => {
    const node = CRYPTO_BACKENDS.node;
    const a = cryptoBackend('node', seededRandomSource('s', 'x')).generateKeyPair();
    const b = cryptoBackend('noble', seededRandomSource('s', 'x')).generateKeyPair();
    expect(toHex(a.publicKey)).toBe(toHex(b.publicKey));
    expect(toHex(a.secretKey)).toBe(toHex(b.secretKey));
    const sealer = cryptoBackend('node', seededRandomSource('s', 'y'));
    const sealed = sealer.seal(text('hello'), a.publicKey, text('aad'));
    expect(toHex(sealed)).toBe(toHex(cryptoBackend('noble', seededRandomSource('s', 'y')).seal(text('hello'), a.publicKey, text('aad'))));
    expect(new TextDecoder().decode(node.open(sealed, a.secretKey, text('aad')))).toBe('hello');
  });
});
