/**
 * The fast backend: node:crypto (OpenSSL). Same wire results as the noble backend; the tests
 * cross-check every operation. Key objects are cached per key because building one dominates the
 * cost of a single verification.
 *
 * The host computes each signature, verification and opening once and remembers it a while
 * (Memo): a bench asks for the same one many times over - every TN of a segment checks one
 * broadcast, a TN waiting for its enrolment signs the same registration again on every retry
 * and the HES and its DC answer each copy alike (issue 13: 9 registrations per TN when 1,000
 * TNs enrol at once), the confidentiality judge opens each box its recipient then opens. What
 * each node's own CPU would spend is charged by its compute profile, not by the host.
 *
 * The host also knows, without computing it, the verification of what it signed itself and the
 * opening of what it sealed itself: the schemes' correctness says a signature verifies under its
 * signer's public key and a box opens to its plaintext under its recipient's key with the same
 * associated data. So sign() and seal() record those results (issue 13: verifying the TNs'
 * signatures and opening their boxes at the HES was a third of utility-48h lean's CPU). Anything
 * else - a bit flipped, another key, other associated data, a signature the host did not make -
 * is another memo key, so it is computed, and refused as OpenSSL refuses it (docs/ARCHITECTURE.md,
 * "Crypto on the host").
 */
import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  ECDH,
  type KeyObject,
} from 'node:crypto';
import {
  AES_KEY_BYTES,
  EPHEMERAL_KEY_BYTES,
  GCM_NONCE_BYTES,
  GCM_TAG_BYTES,
  HYBRID_INFO,
  P256_HALF_N,
  P256_N,
  secretScalar,
  type CryptoBackend,
  type KeyPair,
  type RandomSource,
} from './backend';
import { bigIntTo32Bytes, bytesToBigInt, concatBytes } from '../../core/bytes';
import { asBuffer, gcmOpen, gcmSeal } from './gcm-box';

const CURVE = 'prime256v1';
/**
 * Keys remembered: every node of the largest node-crypto run (city-100k, 100,000 TNs). A TN's key
 * object is used again a meter round later, after every other TN's: with fewer kept than there
 * are TNs, none was still there (issue 13: at 25,000 TNs, building them again was 11 % of the run
 * phase). A key object holds about 3 KB of OpenSSL's memory.
 */
const CACHE_LIMIT = 131_072;

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/**
 * Recent results of a pure function of byte strings, at most `limit` of them (the oldest goes
 * first). Keys are the inputs' bytes as latin1 strings, each after its length: bytes moved from
 * one input to the next (a header's into a body) make another key.
 *
 * The keys in order of insertion are kept in a ring, so the oldest is found without iterating
 * the map: a Map's iterator walks over the slots its deletions left until it rehashes, and
 * `keys().next()` on a full memo cost 13 to 36 us (16,384 to 131,072 entries; node 20) against
 * about 1.5 us (issue 13).
 */
class Memo<T> {
  private readonly map = new Map<string, T>();
  private readonly order: string[] = [];
  private oldest = 0;
  constructor(private readonly limit: number) {}

  get(parts: readonly Uint8Array[], compute: () => T): T {
    const id = memoId(parts);
    if (this.map.has(id)) return this.map.get(id) as T;
    const value = compute();
    this.store(id, value);
    return value;
  }

  /** The result remembered for these inputs, if any; nothing is computed. */
  peek(parts: readonly Uint8Array[]): T | undefined {
    return this.map.get(memoId(parts));
  }

  /**
   * Remembers a result known without computing it (see the header: what the host itself produced).
   * A key already there keeps its place in the eviction order.
   */
  set(parts: readonly Uint8Array[], value: T): void {
    const id = memoId(parts);
    if (this.map.has(id)) this.map.set(id, value);
    else this.store(id, value);
  }

  private store(id: string, value: T): void {
    if (this.order.length < this.limit) this.order.push(id);
    else {
      this.map.delete(this.order[this.oldest]!);
      this.order[this.oldest] = id;
      this.oldest = (this.oldest + 1) % this.limit;
    }
    this.map.set(id, value);
  }
}

function memoId(parts: readonly Uint8Array[]): string {
  let id = '';
  for (const p of parts) id += `${p.length}:${asBuffer(p).toString('latin1')}`;
  return id;
}

/** Key objects by their key's bytes: building one dominates the cost of a single operation. */
const publicKeys = new Memo<KeyObject>(CACHE_LIMIT);
const privateKeys = new Memo<{ key: KeyObject; publicKey: Buffer }>(CACHE_LIMIT);
/** A recipient's ECDH object and public key: setting a private key computes its public key, a scalar multiplication per opening. */
const openers = new Memo<{ ecdh: ECDH; publicKey: Buffer }>(CACHE_LIMIT);

/**
 * Every TN of a utility's segments enrolling at once (10,000) must find its registration's
 * signature and verification again on its next retry, minutes later.
 */
const MEMO_LIMIT = 65_536;
/**
 * Signatures by (key, message): one signature per message, as deterministic ECDSA (RFC 6979)
 * gives, so that a retry carries the same bytes and its verification is remembered too.
 * node:crypto's own ECDSA nonce is random: which of the valid signatures a message gets still
 * differs between runs, never its size.
 */
const signed = new Memo<Uint8Array>(MEMO_LIMIT);
/**
 * Verifications by (signature, key, message), a round's worth: a city's meter round signs
 * 100,000 responses before the HES verifies the first of them, and sign() records each.
 */
const verified = new Memo<boolean>(CACHE_LIMIT);
/**
 * Openings by (key, associated data, box) of boxes not in sealedHere: sealed in another process
 * or worker, evicted from there, or changed on the wire. The judge opens a box as it enters the wire, its
 * recipient on arrival. A meter round's responses all enter the wire before most arrive (the
 * segments' queues hold them): the memo holds a round's, one per TN (CACHE_LIMIT).
 */
const opened = new Memo<Uint8Array | undefined>(CACHE_LIMIT);
/** Plaintexts by (recipient's public key, associated data, box), as seal() made them: a round's worth. */
const sealedHere = new Memo<Uint8Array>(CACHE_LIMIT);

/**
 * Public keys as uncompressed points: OpenSSL recovers a compressed point's y (a square root) on
 * every use, and a sealer seals to the same few recipients again and again (node 20, this
 * machine: computeSecret 223 us with a compressed key, 185 us with an uncompressed one).
 */
const uncompressedKeys = new Memo<Buffer>(CACHE_LIMIT);

function uncompressedKey(compressed: Uint8Array): Buffer {
  return uncompressedKeys.get(
    [compressed],
    () => ECDH.convertKey(asBuffer(compressed), CURVE, undefined, undefined, 'uncompressed') as Buffer,
  );
}

/**
 * From the point's coordinates (JWK), not a DER SubjectPublicKeyInfo: OpenSSL 3 runs DER through
 * its generic decoders (node 20, this machine: 105 to 112 us a key from DER, 66 to 74 us from JWK).
 */
function publicKeyObject(compressed: Uint8Array): KeyObject {
  return publicKeys.get([compressed], () => {
    const point = uncompressedKey(compressed);
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
      format: 'jwk',
    });
  });
}

/** A signer's key object and its public key, compressed as on the wire. */
function privateKeyObject(secretKey: Uint8Array): { key: KeyObject; publicKey: Buffer } {
  return privateKeys.get([secretKey], () => {
    const ecdh = createECDH(CURVE);
    ecdh.setPrivateKey(asBuffer(secretKey));
    const point = ecdh.getPublicKey();
    const key = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64url(secretKey), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) },
      format: 'jwk',
    });
    return { key, publicKey: ecdh.getPublicKey(undefined, 'compressed') };
  });
}

function deriveKeyAndNonce(sharedX: Buffer, ephemeral: Uint8Array, recipient: Uint8Array) {
  const okm = Buffer.from(hkdfSync('sha256', sharedX, concatBytes(ephemeral, recipient), HYBRID_INFO, AES_KEY_BYTES + GCM_NONCE_BYTES));
  return { key: okm.subarray(0, AES_KEY_BYTES), nonce: okm.subarray(AES_KEY_BYTES) };
}

const systemRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));

/** An ECDH object holding a fresh key pair from the source. */
function freshEcdh(random: RandomSource): ECDH {
  const ecdh = createECDH(CURVE);
  ecdh.setPrivateKey(asBuffer(secretScalar(random)));
  return ecdh;
}

/**
 * The one ECDH object seal() sets each ephemeral key into: building an object costs more than
 * setting its key (node 20, this machine: 24 to 38 us against 12 to 18). seal() is synchronous,
 * so no two seals share it at once.
 */
const sealer = createECDH(CURVE);

/**
 * The node backend drawing keys and nonces from `random`. Signatures still take OpenSSL's own
 * random ECDSA nonce (node:crypto offers no RFC 6979): they differ between runs, never in size.
 */
export function createNodeBackend(random: RandomSource = systemRandom): CryptoBackend {
  return {
    name: 'node',

    generateKeyPair(): KeyPair {
      const ecdh = freshEcdh(random);
      // getPrivateKey drops leading zero bytes; keys are always 32 bytes on the wire and on disk
      const secretKey = bigIntTo32Bytes(bytesToBigInt(ecdh.getPrivateKey()));
      return { secretKey, publicKey: new Uint8Array(ecdh.getPublicKey(undefined, 'compressed')) };
    },

    sign(message, secretKey) {
      // a copy: the caller owns what it is given (an attack may flip its bits)
      return signed
        .get([secretKey, message], () => {
          const { key, publicKey } = privateKeyObject(secretKey);
          const sig = nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
          const s = bytesToBigInt(sig.subarray(32));
          const lowS = s <= P256_HALF_N ? new Uint8Array(sig) : concatBytes(sig.subarray(0, 32), bigIntTo32Bytes(P256_N - s));
          verified.set([lowS, publicKey, message], true);
          return lowS;
        })
        .slice();
    },

    verify(signature, message, publicKey) {
      if (signature.length !== 64) return false;
      const s = bytesToBigInt(signature.subarray(32));
      if (s === 0n || s > P256_HALF_N) return false;
      return verified.get([signature, publicKey, message], () => {
        try {
          return nodeVerify('sha256', message, { key: publicKeyObject(publicKey), dsaEncoding: 'ieee-p1363' }, signature);
        } catch {
          return false;
        }
      });
    },

    seal(plaintext, recipientPublicKey, associatedData) {
      sealer.setPrivateKey(asBuffer(secretScalar(random)));
      const ephemeral = sealer.getPublicKey(undefined, 'compressed');
      // a key that is no point fails in convertKey as it would in computeSecret
      const shared = sealer.computeSecret(uncompressedKey(recipientPublicKey));
      const box = gcmSeal(ephemeral, deriveKeyAndNonce(shared, ephemeral, recipientPublicKey), plaintext, associatedData);
      // a copy as a plain Uint8Array: a Buffer's slice() is a view of the caller's memory
      sealedHere.set([recipientPublicKey, associatedData, box], new Uint8Array(plaintext));
      return box;
    },

    open(sealed, secretKey, associatedData) {
      if (sealed.length < EPHEMERAL_KEY_BYTES + GCM_TAG_BYTES) return undefined;
      let opener: { ecdh: ECDH; publicKey: Buffer };
      try {
        opener = openers.get([secretKey], () => {
          const e = createECDH(CURVE);
          e.setPrivateKey(asBuffer(secretKey));
          return { ecdh: e, publicKey: e.getPublicKey(undefined, 'compressed') };
        });
      } catch {
        return undefined;
      }
      // what this host sealed is looked up, not opened, nor remembered a second time in `opened`
      const plaintext =
        sealedHere.peek([opener.publicKey, associatedData, sealed]) ??
        opened.get([secretKey, associatedData, sealed], () => {
          try {
            const ephemeral = sealed.subarray(0, EPHEMERAL_KEY_BYTES);
            const shared = opener.ecdh.computeSecret(asBuffer(ephemeral));
            return gcmOpen(sealed, deriveKeyAndNonce(shared, ephemeral, opener.publicKey), associatedData);
          } catch {
            return undefined;
          }
        });
      return plaintext && new Uint8Array(plaintext);
    },

    sha256(data) {
      return new Uint8Array(createHash('sha256').update(data).digest());
    },

    randomBytes(n) {
      return random(n);
    },
  };
}

export const nodeBackend: CryptoBackend = createNodeBackend();
