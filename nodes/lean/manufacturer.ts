/**
 * The manufacturer: the offline root of trust. Its public key is preinstalled in every node; its
 * secret key signs the HES certificate and every firmware manifest, and never goes online.
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

/** Chunk payload size: a chunk frame (8 bytes of header) stays one G3-PLC PSDU (239 bytes). */
export const FIRMWARE_CHUNK_BYTES = 200;

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

  signFirmware(version: number, image: Uint8Array, chunkSize = FIRMWARE_CHUNK_BYTES): SignedFirmware {
    const unsigned: Unsigned<FirmwareManifest> = {
      cls: MessageClass.FirmwareManifest,
      issuer: MANUFACTURER_ID,
      group: ALL_TNS,
      version,
      size: image.length,
      chunkSize,
      digest: this.crypto.sha256(image),
    };
    const { frame: manifest, signed, signature } = signFrame(unsigned, this.key.secretKey, this.crypto);
    const chunks: Uint8Array[] = [];
    for (let index = 0, at = 0; at < image.length || index === 0; index++, at += chunkSize)
      chunks.push(encodeFirmwareChunk({ version, index, data: image.subarray(at, at + chunkSize) }));
    return { version, manifest, chunks, manifestSigned: signed, manifestSignature: signature };
  }
}
