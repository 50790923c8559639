import { gunzipSync } from 'node:zlib';

/**
 * One file out of an npm package tarball (gzip of a POSIX ustar archive): 512-byte headers, each
 * followed by the file's bytes padded to 512. Enough for registry tarballs; no links, no PAX.
 */
export function fileFromTarball(tgz: Uint8Array, path: string): Buffer | undefined {
  const tar = gunzipSync(tgz);
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return undefined;
    const field = (from: number, length: number): string =>
      header
        .subarray(from, from + length)
        .toString('latin1')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    if (name === path && (type === '0' || type === '')) return Buffer.from(tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
