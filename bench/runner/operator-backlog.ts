/**
 * What a lab's host keeps for an operator that connects later (operator-channel.ts): a lab's hosts
 * run before any campaign, and what is accepted after the operator came may have been sent, or
 * certified, just before. It keeps
 *   - every distinct certificate its nodes issued (the oracle judges enrolments against them), once
 *     each at the time it was last issued: a broker replaying one captured CSR makes the HES issue
 *     the same certificate again, which must not grow the backlog;
 *   - what its nodes sent in the last BACKLOG_MS.
 * Both are bounded (BACKLOG_LIMITS) so that a flood cannot exhaust the host's memory; what is
 * dropped beyond a bound is counted, and an operator that connects while a dropped event would
 * still have been in its backlog is told how many, so that its verdict says it is incomplete.
 */
import type { Observed } from './host-messages';

/** How far back a later operator hears what the host's nodes sent. */
export const BACKLOG_MS = 30_000;

export interface BacklogLimits {
  /** `sent` events kept. */
  readonly events: number;
  /** Bytes of `sent` events kept (their signed bytes and a little for the rest). */
  readonly bytes: number;
  /** Distinct certificates kept. */
  readonly certificates: number;
}

/** A host's default bounds: a 30 s window of a large lab's traffic, tens of MiB at most. */
export const BACKLOG_LIMITS: BacklogLimits = { events: 250_000, bytes: 64 * 1024 * 1024, certificates: 100_000 };

/** An event's share of the bytes bound: its bytes and what its fields cost beside them. */
const EVENT_OVERHEAD = 64;
const sizeOf = (e: Observed): number => EVENT_OVERHEAD + (e.kind === 'sent' ? e.signed.length : 0);

export class OperatorBacklog {
  /** certificate (base64) -> its issued event, in the order they were last issued */
  private readonly issued = new Map<string, Observed>();
  private sent: Observed[] = [];
  /** the first live entry of `sent` (older ones are dropped in batches, not one shift at a time) */
  private head = 0;
  private bytes = 0;
  /** Events dropped beyond a bound: [the newest dropped event's time, how many], oldest first. */
  private readonly drops: [number, number][] = [];
  private droppedCertificates = 0;

  constructor(private readonly limits: BacklogLimits = BACKLOG_LIMITS) {}

  /** Keeps a batch of events; returns how many were dropped beyond a bound (not by age). */
  keep(events: readonly Observed[], now: number): number {
    let dropped = 0;
    for (const e of events) {
      if (e.kind === 'issued') {
        const key = Buffer.from(e.certificate).toString('base64');
        this.issued.delete(key);
        this.issued.set(key, e);
        if (this.issued.size > this.limits.certificates) {
          this.issued.delete(this.issued.keys().next().value!);
          this.droppedCertificates++;
          dropped++;
        }
      } else if (e.kind === 'sent') {
        this.sent.push(e);
        this.bytes += sizeOf(e);
      }
    }
    this.expire(now - BACKLOG_MS);
    let newestDropped = -Infinity;
    let beyond = 0;
    while (this.size > this.limits.events || this.bytes > this.limits.bytes) {
      const e = this.sent[this.head++]!;
      this.bytes -= sizeOf(e);
      newestDropped = Math.max(newestDropped, e.at);
      beyond++;
    }
    if (beyond) this.drops.push([newestDropped, beyond]);
    this.compact();
    return dropped + beyond;
  }

  /**
   * What a new operator is sent, and how many events it misses: certificates dropped at any time,
   * and sent events dropped that would still be in its window.
   */
  snapshot(now: number): { events: Observed[]; dropped: number } {
    this.expire(now - BACKLOG_MS);
    this.compact();
    let dropped = this.droppedCertificates;
    for (const [, n] of this.drops) dropped += n;
    return { events: [...this.issued.values(), ...this.sent.slice(this.head)], dropped };
  }

  private get size(): number {
    return this.sent.length - this.head;
  }

  private expire(from: number): void {
    while (this.head < this.sent.length && this.sent[this.head]!.at < from) this.bytes -= sizeOf(this.sent[this.head++]!);
    while (this.drops.length && this.drops[0]![0] < from) this.drops.shift();
  }

  /** Drops the dead head of `sent` once it is most of the array. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.sent.length) {
      this.sent = this.sent.slice(this.head);
      this.head = 0;
    }
  }
}
