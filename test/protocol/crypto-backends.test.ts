import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ECDH } from 'node:crypto';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { P256_N } from '../../nodes/crypto/backend';
import { bigIntTo32Bytes, bytesToBigInt, concatBytes, fromHex as hex, toHex } from '../../core/bytes';

const text = (s: string) => new TextEncoder().encode(s);
const ecdsa = JSON.parse(readFileSync(new URL('../vectors/ecdsa-p256-sha256.json', import.meta.url), 'utf8'));
const hybrid = JSON.parse(readFileSync(new URL('../vectors/hybrid-seal.json', import.meta.url), 'utf8'));
const backends = Object.values(CRYPTO_BACKENDS);
const pairs = backends.flatMap((a) => backends.map((b) => [a, b] as const));
const compressedPublicKey = hex(ECDH.convertKey(ecdsa.publicKeyUncompressed, 'prime256v1', 'hex', 'hex', 'compressed') as string);

describe.each(ecdsa.vectors as Array<{ clause: string; message: string; r: string; s: string }>)('$clause', (v) => {
  const s = bytesToBigInt(hex(v.s));
  const lowS = s > P256_N >> 1n ? P256_N - s : s;
  const canonical = concatBytes(hex(v.r), bigIntTo32Bytes(lowS));

  it('the noble backend signs deterministically to the canonical (low-s) RFC signature', () => {
    expect(toHex(CRYPTO_BACKENDS.noble.sign(text(v.message), hex(ecdsa.secretKey)))).toBe(toHex(canonical));
  });

  it.each(backends.map((b) => [b.name, b] as const))('%s verifies the canonical form and refuses the high-s twin', (_n, backend) => {
    expect(backend.verify(canonical, text(v.message), compressedPublicKey)).toBe(true);
    const twin = concatBytes(hex(v.r), bigIntTo32Bytes(P256_N - lowS));
    expect(backend.verify(twin, text(v.message), compressedPublicKey)).toBe(false);
  });
});

describe.each(pairs.map(([a, b]) => [`${a.name} -> ${b.name}`, a, b] as const))('interoperability %s', (_n, producer, consumer) => {
  it('a signature made by one backend verifies with the other, and only for its message and key', () => {
    const kp = producer.generateKeyPair();
    const other = consumer.generateKeyPair();
    for (let i = 0; i < 20; i++) {
      const msg = text(`automation ${i}`);
      const sig = producer.sign(msg, kp.secretKey);
      expect(sig.length).toBe(64);
      expect(bytesToBigInt(sig.subarray(32)) <= P256_N >> 1n).toBe(true);
      expect(consumer.verify(sig, msg, kp.publicKey)).toBe(true);
      expect(consumer.verify(sig, text(`automation ${i + 1}`), kp.publicKey)).toBe(false);
      expect(consumer.verify(sig, msg, other.publicKey)).toBe(false);
      // the node backend remembers what it signed as verified: a bit changed is another signature
      const forged = sig.slice();
      forged[i]! ^= 1 << (i % 8);
      expect(consumer.verify(forged, msg, kp.publicKey)).toBe(false);
    }
  });

  it('a box sealed by one backend opens with the other, only with the right key and associated data', () => {
    const recipient = consumer.generateKeyPair();
    const stranger = consumer.generateKeyPair();
    const aad = text('header');
    const plaintext = text('confidential');
    const sealed = producer.seal(plaintext, recipient.publicKey, aad);
    // the node backend remembers what it sealed: the caller's buffer is the caller's to change
    plaintext.fill(0);
    expect(sealed.length).toBe(33 + 'confidential'.length + 16);
    expect(new TextDecoder().decode(consumer.open(sealed, recipient.secretKey, aad))).toBe('confidential');
    expect(consumer.open(sealed, stranger.secretKey, aad)).toBeUndefined();
    expect(consumer.open(sealed, recipient.secretKey, text('other header'))).toBeUndefined();
    const flipped = sealed.slice();
    flipped[40]! ^= 1;
    expect(consumer.open(flipped, recipient.secretKey, aad)).toBeUndefined();
  });

  it("what the opener gets is its own: neither the sealer's Buffer nor another opening shares its memory", () => {
    const recipient = consumer.generateKeyPair();
    const aad = text('header');
    const plaintext = Buffer.from('confidential');
    const sealed = producer.seal(plaintext, recipient.publicKey, aad);
    plaintext.fill(0x41);
    const first = consumer.open(sealed, recipient.secretKey, aad)!;
    expect(new TextDecoder().decode(first)).toBe('confidential');
    expect(Buffer.isBuffer(first)).toBe(false);
    first.fill(0x42);
    expect(new TextDecoder().decode(consumer.open(sealed, recipient.secretKey, aad))).toBe('confidential');
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('%s backend at its boundary', (_n, backend) => {
  type SealVector = { name: string; recipientSecretKey: string; associatedData: string; plaintext: string; sealed: string };
  it.each((hybrid.vectors as SealVector[]).map((v) => [v.name, v] as const))('opens the committed vector %s', (_name, v) => {
    expect(toHex(backend.open(hex(v.sealed), hex(v.recipientSecretKey), hex(v.associatedData))!)).toBe(v.plaintext);
  });

  it('returns false or undefined for malformed keys, signatures and boxes instead of throwing', () => {
    const kp = backend.generateKeyPair();
    const msg = text('m');
    const sig = backend.sign(msg, kp.secretKey);
    const notOnCurve = new Uint8Array(33).fill(0xff);
    notOnCurve[0] = 2;
    expect(backend.verify(sig, msg, notOnCurve)).toBe(false);
    expect(backend.verify(sig, msg, new Uint8Array(5))).toBe(false);
    expect(backend.verify(sig.subarray(0, 63), msg, kp.publicKey)).toBe(false);
    expect(backend.verify(new Uint8Array(64), msg, kp.publicKey)).toBe(false);
    expect(backend.open(new Uint8Array(10), kp.secretKey, msg)).toBeUndefined();
    expect(backend.open(concatBytes(notOnCurve, new Uint8Array(20)), kp.secretKey, msg)).toBeUndefined();
    expect(() => backend.seal(msg, notOnCurve, msg)).toThrow();
  });

  it('generates 32-byte secret keys and 33-byte compressed public keys', () => {
    for (let i = 0; i < 50; i++) {
      const kp = backend.generateKeyPair();
      expect(kp.secretKey.length).toBe(32);
      expect(kp.publicKey.length).toBe(33);
      expect([2, 3]).toContain(kp.publicKey[0]);
    }
  });

  it('hashes with SHA-256 (FIPS 180-2 "abc" vector)', () => {
    expect(toHex(backend.sha256(text('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
