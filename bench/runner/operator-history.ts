/**
 * A lab host's messages to its operator, numbered (operator-channel.ts): the operator sees a gap in
 * the numbers when messages were lost, as those a host sends to an operator's old connection while
 * it reconnects (a ROUTER drops what it sends to a routing id that is gone). The last ones are kept
 * (by age and bytes) so that an operator that comes back saying which number it expects gets them
 * again; when they are no longer all kept, it is told where the numbering goes on, and its verdict
 * says what it missed.
 */
import { serialize } from 'node:v8';
import { BACKLOG_MS } from './operator-backlog';

export interface HistoryLimits {
  /** Bytes of serialized messages kept. */
  readonly bytes: number;
  /** How long a message is kept. */
  readonly ms: number;
}

/** A reconnection within 30 s gets every message again, up to 32 MiB of them. */
export const HISTORY_LIMITS: HistoryLimits = { bytes: 32 * 1024 * 1024, ms: BACKLOG_MS };

export class OperatorHistory {
  private nextSeq = 0;
  private kept: { readonly seq: number; readonly at: number; readonly bytes: Buffer }[] = [];
  private size = 0;

  constructor(private readonly limits: HistoryLimits = HISTORY_LIMITS) {}

  /** The number the next message gets. */
  get next(): number {
    return this.nextSeq;
  }

  /** `m` with the next number, serialized, and kept. */
  number(m: object, now: number): Buffer {
    const bytes = serialize({ ...m, seq: this.nextSeq++ });
    this.kept.push({ seq: this.nextSeq - 1, at: now, bytes });
    this.size += bytes.length;
    let drop = 0;
    while (drop < this.kept.length && (this.size > this.limits.bytes || this.kept[drop]!.at < now - this.limits.ms))
      this.size -= this.kept[drop++]!.bytes.length;
    if (drop) this.kept = this.kept.slice(drop);
    return bytes;
  }

  /** The messages numbered `seq` and on, or undefined when not all of them are kept. */
  since(seq: number): Buffer[] | undefined {
    if (!Number.isInteger(seq) || seq > this.nextSeq) return undefined;
    if (seq === this.nextSeq) return [];
    const first = this.kept[0]?.seq;
    if (first === undefined || first > seq) return undefined;
    return this.kept.slice(seq - first).map((k) => k.bytes);
  }
}
