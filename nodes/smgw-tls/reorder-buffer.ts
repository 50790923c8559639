/**
 * The receive side of a reliable stream: bytes delivered in order from the next expected offset,
 * segments that arrive ahead of a gap kept (up to a limit) and delivered once the gap fills.
 */

/**
 * What the stream did with a segment from the wire. 'duplicate': everything it carried was had
 * before (data already delivered, an acknowledgement already taken); 'out-of-window': data too far
 * ahead of the gap, or an acknowledgement of bytes never sent. Both are dropped without effect;
 * their owner decides whether that is a refusal worth counting (an attacker's replay is).
 */
export type SegmentFate = 'accepted' | 'duplicate' | 'out-of-window';

/** The receive side's part of the stream's stats. */
interface ReceiveStats {
  duplicatesReceived: number;
  outOfOrderReceived: number;
}

/** What one data segment did: its fate, and whether it extended the in-order stream. */
export interface DataOutcome {
  readonly fate: SegmentFate;
  /** False for a duplicate or a segment ahead of a gap: the sender should hear where the stream is, now. */
  readonly inOrder: boolean;
}

export class ReorderBuffer {
  private next = 0;
  private readonly ahead = new Map<number, Uint8Array>();
  private aheadBytes = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly stats: ReceiveStats,
    private readonly deliver: (bytes: Uint8Array) => void,
  ) {}

  /** Next stream offset expected: payload ending at or before it is a duplicate. */
  get expected(): number {
    return this.next;
  }

  take(seq: number, payload: Uint8Array): DataOutcome {
    const end = seq + payload.length;
    if (end <= this.next) {
      this.stats.duplicatesReceived++;
      return { fate: 'duplicate', inOrder: false };
    }
    if (seq > this.next) {
      this.stats.outOfOrderReceived++;
      let fate: SegmentFate = 'accepted';
      if (this.ahead.has(seq)) fate = 'duplicate';
      else if (end > this.next + this.limitBytes || this.aheadBytes + payload.length > this.limitBytes) fate = 'out-of-window';
      else {
        this.ahead.set(seq, payload);
        this.aheadBytes += payload.length;
      }
      return { fate, inOrder: false };
    }
    this.push(payload.subarray(this.next - seq));
    for (let queued = this.ahead.get(this.next); queued !== undefined; queued = this.ahead.get(this.next)) {
      this.ahead.delete(this.next);
      this.aheadBytes -= queued.length;
      this.push(queued);
    }
    // Segments that start inside what was just delivered are stale now.
    for (const [at, bytes] of this.ahead) {
      if (at < this.next) {
        this.ahead.delete(at);
        this.aheadBytes -= bytes.length;
        if (at + bytes.length > this.next) this.push(bytes.subarray(this.next - at));
      }
    }
    return { fate: 'accepted', inOrder: true };
  }

  private push(bytes: Uint8Array): void {
    this.next += bytes.length;
    this.deliver(bytes);
  }
}
