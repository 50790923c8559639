/**
 * The hash chain that lets a TN check each piece of a firmware image on arrival (docs/DESIGN.md
 * 2.1, "firmware update"). Chunk i's link is SHA-256(version, i, data_i, link_{i+1}), the last
 * chunk's next link being zeros; chunk i carries link_{i+1}, and the signed manifest's digest is
 * link_0. So chunk 0 is checked against the manifest, and every later chunk against the link its
 * verified predecessor carried: a forged piece is refused where it arrives, not after the image.
 */
import type { CryptoBackend } from '../crypto/backend';
import { DIGEST_BYTES } from '../protocol/frame-fields';
import type { FirmwareChunk } from '../protocol/operational-frames';

export const LAST_LINK = new Uint8Array(DIGEST_BYTES);

/** The link a chunk must match: over its version, index, data and the next link it carries. */
export function chunkLink(chunk: Omit<FirmwareChunk, 'cls'>, crypto: CryptoBackend): Uint8Array {
  const head = new Uint8Array(6);
  new DataView(head.buffer).setUint32(0, chunk.version);
  new DataView(head.buffer).setUint16(4, chunk.index);
  const bytes = new Uint8Array(head.length + chunk.data.length + chunk.next.length);
  bytes.set(head);
  bytes.set(chunk.data, head.length);
  bytes.set(chunk.next, head.length + chunk.data.length);
  return crypto.sha256(bytes);
}

/** The chunks of an image with their links, and the chain's head (what the manifest signs). */
export function chainImage(
  version: number,
  image: Uint8Array,
  chunkSize: number,
  crypto: CryptoBackend,
): { head: Uint8Array; chunks: Omit<FirmwareChunk, 'cls'>[] } {
  const count = Math.max(1, Math.ceil(image.length / chunkSize));
  const chunks: Omit<FirmwareChunk, 'cls'>[] = new Array(count);
  let next: Uint8Array = LAST_LINK;
  for (let index = count - 1; index >= 0; index--) {
    const chunk = { version, index, data: image.subarray(index * chunkSize, index * chunkSize + chunkSize), next };
    chunks[index] = chunk;
    next = chunkLink(chunk, crypto);
  }
  return { head: next, chunks };
}
