/**
 * Per-node persistent state: keys, certificates, the last accepted counters, the installed
 * firmware version. A node saves before it acts on a message (write-ahead), so a crash can never
 * make it accept the same counter twice. Files are replaced atomically (write, fsync, rename,
 * fsync the directory; never through a link: core/replace-file.ts); secret files are created with
 * mode 0600. Contents are never logged.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../../core/replace-file';

export interface NodeStore {
  /** The stored bytes of a record, or undefined if it was never written. */
  get(record: string): Uint8Array | undefined;
  /** Replaces a record atomically. `secret` records are readable by the owner only. */
  put(record: string, bytes: Uint8Array, options?: { secret?: boolean }): void;
  /** Names of the stored records that start with `prefix`. */
  list(prefix: string): string[];
}

const RECORD_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function checkName(record: string): void {
  if (!RECORD_NAME.test(record)) throw new Error(`node store: invalid record name "${record}"`);
}

export class FileNodeStore implements NodeStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  get(record: string): Uint8Array | undefined {
    checkName(record);
    try {
      return new Uint8Array(readFileSync(join(this.dir, record)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`node store ${this.dir}: cannot read ${record}: ${(err as Error).message}`, { cause: err });
    }
  }

  list(prefix: string): string[] {
    return readdirSync(this.dir).filter((f) => f.startsWith(prefix) && RECORD_NAME.test(f) && !f.includes('.tmp-'));
  }

  put(record: string, bytes: Uint8Array, options: { secret?: boolean } = {}): void {
    checkName(record);
    replaceFile(join(this.dir, record), bytes, options);
  }
}

/**
 * For mass emulation and tests: the same contract, kept in memory (lost with the process). A
 * record is held as a one-byte string (each char one byte) rather than as bytes: a string lives in
 * V8's heap, where bytes over 64 would take an ArrayBuffer of their own outside it, and V8 starts
 * a full collection each time such memory grows by 64 MiB. A million TNs' records (four each,
 * written as they enrol) made most of a national run's collections (issue 13).
 */
export class MemoryNodeStore implements NodeStore {
  private readonly records = new Map<string, string>();

  get(record: string): Uint8Array | undefined {
    checkName(record);
    const held = this.records.get(record);
    if (held === undefined) return undefined;
    const bytes = new Uint8Array(held.length);
    for (let i = 0; i < held.length; i++) bytes[i] = held.charCodeAt(i);
    return bytes;
  }

  put(record: string, bytes: Uint8Array): void {
    checkName(record);
    // copied into a pooled Buffer first: a view of `bytes` itself would give it an ArrayBuffer
    this.records.set(record, Buffer.from(bytes).toString('latin1'));
  }

  list(prefix: string): string[] {
    return [...this.records.keys()].filter((r) => r.startsWith(prefix));
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON records on top of a store, with byte arrays kept as hex. */
export function getJson<T>(store: NodeStore, record: string): T | undefined {
  const bytes = store.get(record);
  if (!bytes) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch {
    throw new Error(`node store: record ${record} is not valid JSON`);
  }
}

export function putJson(store: NodeStore, record: string, value: unknown, options?: { secret?: boolean }): void {
  store.put(record, encoder.encode(JSON.stringify(value)), options);
}
