/**
 * A lean TN's side of a firmware rollout (docs/DESIGN.md 2.1, "firmware update"): a
 * signed manifest opens a transfer, each chunk is checked against the release's hash chain as it
 * arrives (./firmware-chain.ts), and the image is installed when every chunk is in. The installed version
 * and the floor (the release current when the unit enrolled) are on disk: a version at or below
 * the installed one, or below the floor, is a rollback.
 */
import { equalBytes } from '../../core/bytes';
import type { Clock } from '../../core/clock';
import type { CryptoOp } from '../compute-profile';
import type { CryptoBackend } from '../crypto/backend';
import { MANUFACTURER_ID } from '../oracle/goal-oracle';
import { ALL_TNS } from '../protocol/frame-fields';
import type { FirmwareChunk, FirmwareManifest } from '../protocol/operational-frames';
import { reject, type Rejection } from '../protocol/rejection';
import { getJson, putJson, type NodeStore } from '../store/node-store';
import type { ReceivedFrame } from '../../core/transport';
import { chunkLink } from './firmware-chain';

interface FirmwareTransfer {
  readonly manifest: FirmwareManifest;
  readonly chunks: Map<number, Uint8Array>;
  /** The link each chunk must match, once known: chunk 0's is the manifest's digest. */
  readonly links: Map<number, Uint8Array>;
  /** Chunks that arrived before their link was known, with the frame that carried them. */
  readonly held: Map<number, Array<{ readonly chunk: FirmwareChunk; readonly rx: ReceivedFrame }>>;
  readonly chunkCount: number;
  readonly startedAt: number;
}

/** Unchecked copies of one chunk kept until its link is known; more are refused. */
const MAX_HELD = 4;

export interface FirmwareReceiverDeps {
  readonly clock: Clock;
  readonly store: NodeStore;
  readonly crypto: CryptoBackend;
}

/**
 * What the receiver asks of its TN. Methods of the TN itself rather than closures made for each
 * receiver: a national run holds a million of them (issue 13).
 */
export interface FirmwareHost {
  /** The key releases are signed with: the HES's, as its certificate (manufacturer -> HES) states. */
  firmwareSignerKey(): Uint8Array | undefined;
  /** Counts a refusal found after its frame was taken in (a held chunk judged later). */
  refuseHeldFrame(rejection: Rejection, rx: ReceivedFrame): void;
  /** Occupies the TN's CPU with the operations a frame cost. */
  occupyCpu(ops: readonly CryptoOp[]): void;
}

/** An image installed: its manifest and how long its transfer took. */
export interface Installed {
  readonly manifest: FirmwareManifest;
  readonly durationMs: number;
}

export class FirmwareReceiver {
  private installedVersion: number;
  /** Lowest version this unit may install, from its enrolment (the fleet's latest release then). */
  private floor: number;
  private transfer: FirmwareTransfer | undefined;

  constructor(
    private readonly deps: FirmwareReceiverDeps,
    private readonly host: FirmwareHost,
  ) {
    const firmware = getJson<{ version: number; floor?: number }>(deps.store, 'firmware');
    this.installedVersion = firmware?.version ?? 0;
    this.floor = firmware?.floor ?? 0;
  }

  get version(): number {
    return this.installedVersion;
  }

  /** The enrolment stated the fleet's latest release: nothing older may be installed from now on. */
  raiseFloor(floor: number): void {
    this.floor = Math.max(this.floor, floor);
    this.save();
  }

  /** A transfer in progress is held in memory: a power cut loses it. */
  powerRestored(): void {
    this.transfer = undefined;
  }

  onManifest(manifest: FirmwareManifest): Rejection | void {
    if (manifest.issuer !== MANUFACTURER_ID) return reject('wrong-sender', `manifest issued by ${manifest.issuer}`);
    if (manifest.group !== ALL_TNS) return reject('wrong-recipient', `manifest for group ${manifest.group}`);
    if (manifest.version <= this.installedVersion)
      return reject('firmware-rollback', `version ${manifest.version} <= installed ${this.installedVersion}`);
    if (manifest.version < this.floor)
      return reject('firmware-rollback', `version ${manifest.version} below ${this.floor}, the release current when this unit enrolled`);
    if (this.transfer && this.transfer.manifest.version >= manifest.version && equalBytes(this.transfer.manifest.signed, manifest.signed))
      return; // the same manifest again (a carousel pass): the transfer goes on
    const signerKey = this.host.firmwareSignerKey();
    if (!signerKey) return reject('not-enrolled', 'firmware manifest before the HES certificate is known');
    this.host.occupyCpu(['verify']);
    if (!this.deps.crypto.verify(manifest.signature, manifest.signed, signerKey)) return reject('bad-signature', 'firmware manifest');
    if (this.transfer && this.transfer.manifest.version > manifest.version)
      return reject('firmware-rollback', `version ${manifest.version} below the transfer in progress`);
    const chunkCount = Math.max(1, Math.ceil(manifest.size / manifest.chunkSize));
    if (chunkCount > 0xffff) return reject('bad-field', `image of ${manifest.size} bytes needs more than 65535 chunks`);
    this.transfer = {
      manifest,
      chunks: new Map(),
      links: new Map([[0, manifest.digest]]),
      held: new Map(),
      chunkCount,
      startedAt: this.deps.clock.now(),
    };
  }

  /**
   * Takes a chunk; returns the install when it completed the image. A chunk whose link is known
   * (chunk 0's from the manifest, a later one's from its verified predecessor) is checked at once
   * and a forged one refused; one that arrived ahead of its predecessor (a chunk lost earlier in
   * the pass) is held, up to MAX_HELD candidates per index, and judged when its link is known.
   */
  onChunk(chunk: FirmwareChunk, rx: ReceivedFrame): Rejection | Installed | undefined {
    const transfer = this.transfer;
    // a later carousel pass of the installed image: a duplicate, not something to refuse
    if (!transfer && chunk.version <= this.installedVersion) return undefined;
    if (!transfer || chunk.version !== transfer.manifest.version)
      return reject('firmware-mismatch', `chunk of version ${chunk.version} with no matching transfer`);
    const { manifest, chunkCount } = transfer;
    if (chunk.index >= chunkCount) return reject('bad-field', `chunk ${chunk.index} of ${chunkCount}`);
    const expectedLength = chunk.index === chunkCount - 1 ? manifest.size - manifest.chunkSize * chunk.index : manifest.chunkSize;
    if (chunk.data.length !== expectedLength)
      return reject('bad-field', `chunk ${chunk.index} has ${chunk.data.length} bytes, expected ${expectedLength}`);
    if (transfer.chunks.has(chunk.index)) return undefined;
    const link = transfer.links.get(chunk.index);
    if (!link) {
      const held = transfer.held.get(chunk.index) ?? [];
      if (held.some((h) => equalBytes(h.chunk.data, chunk.data) && equalBytes(h.chunk.next, chunk.next))) return undefined;
      if (held.length >= MAX_HELD) return reject('firmware-mismatch', `chunk ${chunk.index}: ${MAX_HELD} unchecked copies held already`);
      held.push({ chunk, rx });
      transfer.held.set(chunk.index, held);
      return undefined;
    }
    if (!equalBytes(chunkLink(chunk, this.deps.crypto), link)) return this.forged(chunk.index, manifest.version);
    for (let at: FirmwareChunk | undefined = chunk; at;) at = this.take(transfer, at);
    if (transfer.chunks.size < chunkCount) return undefined;
    this.transfer = undefined;
    this.installedVersion = manifest.version;
    this.save();
    return { manifest, durationMs: this.deps.clock.now() - transfer.startedAt };
  }

  /** Stores a verified chunk; judges the copies held for its index and returns the held successor that verifies, if any. */
  private take(transfer: FirmwareTransfer, chunk: FirmwareChunk): FirmwareChunk | undefined {
    transfer.chunks.set(chunk.index, chunk.data.slice());
    transfer.links.set(chunk.index + 1, chunk.next);
    for (const h of transfer.held.get(chunk.index) ?? [])
      if (!equalBytes(h.chunk.data, chunk.data) || !equalBytes(h.chunk.next, chunk.next))
        this.host.refuseHeldFrame(this.forged(chunk.index, chunk.version), h.rx);
    transfer.held.delete(chunk.index);
    const following = chunk.index + 1;
    if (following >= transfer.chunkCount || transfer.chunks.has(following)) return undefined;
    let verified: FirmwareChunk | undefined;
    for (const h of transfer.held.get(following) ?? []) {
      if (!verified && equalBytes(chunkLink(h.chunk, this.deps.crypto), chunk.next)) verified = h.chunk;
    }
    return verified;
  }

  private forged(index: number, version: number): Rejection {
    return reject('firmware-digest', `chunk ${index} of version ${version} does not match the release's signed hash chain`);
  }

  private save(): void {
    putJson(this.deps.store, 'firmware', { version: this.installedVersion, floor: this.floor });
  }
}
