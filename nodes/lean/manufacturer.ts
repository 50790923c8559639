/**
 * The manufacturer: the offline root of trust. Its public key is preinstalled in every node; its
 * secret key certifies the HES's key, and never goes online: it stays in the operator's state
 * (gridbench provision), never on a node host. Firmware releases are signed with the key it
 * certified for the HES (docs/DESIGN.md 2.1, "firmware update"), which TNs know from the chain
 * manufacturer -> HES they verified at enrolment.
 */
import { type CryptoBackend, type KeyPair } from '../crypto/backend';
import { fromHex, toHex } from '../../core/bytes';
import { getJson, putJson, type NodeStore } from '../store/node-store';
import { CertRole, issueCertificate, type Certificate } from '../protocol/certificate';
import { ALL_TNS, type Unsigned } from '../protocol/frame-fields';
import { encodeFirmwareChunk, type FirmwareManifest } from '../protocol/operational-frames';
import { MessageClass } from '../protocol/message-class';
import { MANUFACTURER_ID } from '../oracle/goal-oracle';
import { signFrame } from './frame-builders';
import { chainImage } from './firmware-chain';

/**
 * Chunk payload size: a chunk frame (10 bytes of header, 32 of hash-chain link) stays one G3-PLC
 * PSDU (239 bytes).
 */
export const FIRMWARE_CHUNK_BYTES = 196;

export interface SignedFirmware {
  readonly version: number;
  readonly manifest: Uint8Array;
  readonly chunks: readonly Uint8Array[];
  /** The manifest's signed bytes and signature, as the goal oracle is told. */
  readonly manifestSigned: Uint8Array;
  readonly manifestSignature: Uint8Array;
}

export class Manufacturer {
  private constructor(
    private readonly key: KeyPair,
    private readonly crypto: CryptoBackend,
  ) {}

  static create(crypto: CryptoBackend): Manufacturer {
    return new Manufacturer(crypto.generateKeyPair(), crypto);
  }

  /** The manufacturer of a bench that is restarted: its root key kept in a secret record. */
  static fromStore(store: NodeStore, crypto: CryptoBackend): Manufacturer {
    const stored = getJson<{ secretKey: string; publicKey: string }>(store, 'root-key');
    if (stored) {
      return new Manufacturer({ secretKey: fromHex(stored.secretKey), publicKey: fromHex(stored.publicKey) }, crypto);
    }
    const key = crypto.generateKeyPair();
    putJson(store, 'root-key', { secretKey: toHex(key.secretKey), publicKey: toHex(key.publicKey) }, { secret: true });
    return new Manufacturer(key, crypto);
  }

  get publicKey(): Uint8Array {
    return this.key.publicKey;
  }

  certifyHes(hesId: string, signKey: Uint8Array, encKey: Uint8Array): Certificate {
    return issueCertificate(
      { role: CertRole.Hes, issuer: MANUFACTURER_ID, subject: hesId, signKey, encKey },
      this.key.secretKey,
      this.crypto,
    );
  }

  /** Firmware signed with the root itself: what a TN must refuse (only the key certified for the HES signs releases). */
  signFirmware(version: number, image: Uint8Array, chunkSize = FIRMWARE_CHUNK_BYTES): SignedFirmware {
    return signFirmware(this.key.secretKey, this.crypto, version, image, chunkSize);
  }
}

/** A firmware release: the signed manifest and the chunks of the image, signed with `secretKey`. */
export function signFirmware(
  secretKey: Uint8Array,
  crypto: CryptoBackend,
  version: number,
  image: Uint8Array,
  chunkSize = FIRMWARE_CHUNK_BYTES,
): SignedFirmware {
  const chain = chainImage(version, image, chunkSize, crypto);
  const unsigned: Unsigned<FirmwareManifest> = {
    cls: MessageClass.FirmwareManifest,
    issuer: MANUFACTURER_ID,
    group: ALL_TNS,
    version,
    size: image.length,
    chunkSize,
    digest: chain.head,
  };
  const { frame: manifest, signed, signature } = signFrame(unsigned, secretKey, crypto);
  const chunks = chain.chunks.map((chunk) => encodeFirmwareChunk(chunk));
  return { version, manifest, chunks, manifestSigned: signed, manifestSignature: signature };
}
