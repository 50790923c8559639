/**
 * Replaces a file atomically and never through a symbolic link: the bytes go to a new temporary
 * file in the same directory (created exclusively, so a link planted under its name is not
 * followed either), are synced, and the file is renamed into place; the directory is synced. A
 * link standing where the file goes is refused, naming it. Provisioning writes keys into the
 * directories of hosts that may be compromised (docs/DESIGN.md: a compromised host must not gain
 * another node's keys): a key file a host turned into a link to the operator's own key must not
 * make the next provisioning overwrite that key, nor a reader find a half-written one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class LinkedFileError extends Error {
  constructor(readonly file: string) {
    super(`${file}: is a symbolic link; refusing to write a key or state file through it (remove it and run again)`);
    this.name = 'LinkedFileError';
  }
}

/** Writes `data` to `file` as described above; `secret` files are readable by their owner only (0600). */
export function replaceFile(file: string, data: string | Uint8Array, options: { readonly secret?: boolean } = {}): void {
  if (isLink(file)) throw new LinkedFileError(file);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fd = openSync(temp, 'wx', options.secret ? 0o600 : 0o644);
  try {
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
