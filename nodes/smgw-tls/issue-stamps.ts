/**
 * When the HES issued the data a TLS frame carries, passed beside the wire.
 *
 * smgw-tls automation latency counts from the HES issuing a command to a TN accepting it. The TN
 * must learn the issue time without a byte more on the wire: a field inside TLS would be bytes a
 * real gateway never sends, and would grow the per-command bytes and air time the bench compares.
 * So the issue time rides in the frame's sentAt, the measurement aid every transport carries
 * beside the frame (ReceivedFrame.sentAt: the emulated network keeps it, the ZeroMQ envelope
 * carries it between processes on the real clock, the DC router forwards it). The HES stamps each
 * frame with the issue time of the data it completes (OutboundStamps.issuedAt), so a retransmitted
 * frame and a message that waited for its channel still count from the issue; the TN maps each
 * message's bytes back to the frame that brought them.
 *
 * Both ends find records in the byte stream by their clear 5-byte headers, as any observer of a
 * TLS connection can; the TLS bytes themselves are untouched. With the profile's one cipher suite
 * (AES-128-GCM in TLS 1.2, tls-profile.ts) an application-data record of length L carries exactly
 * L - 24 plaintext bytes (8-byte explicit nonce, 16-byte tag), which ties plaintext offsets to
 * stream offsets.
 */
const HEADER_BYTES = 5;
const APPLICATION_DATA = 23;
const AEAD_EXPANSION = 8 + 16;

/** One TLS record in a direction's byte stream: stream offsets, header included, end exclusive. */
export interface RecordSpan {
  readonly type: number;
  readonly start: number;
  readonly end: number;
}

const plaintextBytes = (r: RecordSpan): number => Math.max(0, r.end - r.start - HEADER_BYTES - AEAD_EXPANSION);

/** Finds the record boundaries in a byte stream fed in order, in any pieces. Never throws. */
export class RecordScanner {
  private offset = 0;
  private readonly header = new Uint8Array(HEADER_BYTES);
  private headerBytes = 0;
  private current: RecordSpan | undefined;

  /** `header` hears of each record once its header is in, `end` once its last byte is. */
  push(bytes: Uint8Array, on: { header?: (r: RecordSpan) => void; end?: (r: RecordSpan) => void }): void {
    let i = 0;
    while (i < bytes.length) {
      if (!this.current) {
        const take = Math.min(HEADER_BYTES - this.headerBytes, bytes.length - i);
        this.header.set(bytes.subarray(i, i + take), this.headerBytes);
        this.headerBytes += take;
        i += take;
        if (this.headerBytes < HEADER_BYTES) break;
        const start = this.offset + i - HEADER_BYTES;
        this.current = { type: this.header[0]!, start, end: start + HEADER_BYTES + ((this.header[3]! << 8) | this.header[4]!) };
        this.headerBytes = 0;
        on.header?.(this.current);
      }
      const record = this.current;
      const at = this.offset + i;
      const take = Math.min(record.end - at, bytes.length - i);
      i += take;
      if (at + take === record.end) {
        this.current = undefined;
        on.end?.(record);
      }
    }
    this.offset += bytes.length;
  }
}

/** The HES side of a channel: what it wrote and when it was issued, then what each frame carries. */
export class OutboundStamps {
  private readonly scanner = new RecordScanner();
  /** Plaintext handed to TLS and not yet seen in a record, in write order. */
  private readonly pending: Array<{ bytes: number; issuedAt: number }> = [];
  /** Application-data records in the stream, with the issue time of their earliest data. */
  private readonly spans: Array<{ readonly start: number; readonly end: number; readonly issuedAt: number }> = [];

  /** The application hands `bytes` plaintext bytes, issued at `issuedAt`, to TLS. Call in write order. */
  written(bytes: number, issuedAt: number): void {
    if (bytes > 0) this.pending.push({ bytes, issuedAt });
  }

  /** TLS put these bytes into the stream (call in stream order, with every byte). */
  sent(chunk: Uint8Array): void {
    this.scanner.push(chunk, {
      header: (record) => {
        if (record.type !== APPLICATION_DATA) return;
        let left = plaintextBytes(record);
        let issuedAt = Infinity;
        while (left > 0 && this.pending.length > 0) {
          const head = this.pending[0]!;
          issuedAt = Math.min(issuedAt, head.issuedAt);
          const take = Math.min(head.bytes, left);
          head.bytes -= take;
          left -= take;
          if (head.bytes === 0) this.pending.shift();
        }
        if (issuedAt !== Infinity) this.spans.push({ start: record.start, end: record.end, issuedAt });
      },
    });
  }

  /**
   * The stamp of a frame carrying stream bytes [start, end): the issue time of the last record that
   * ends in it, which is the one the TN reads it for (a TN takes a message's issue time from the
   * frame that completes its record); else of the record it carries a part of; undefined when it
   * holds no application data (handshake, acknowledgements). Issue times grow along the stream
   * (the HES writes in issue order), so when two messages end in one frame, having waited together
   * behind a full window or a channel coming up, the earlier one counts from the later issue: its
   * latency comes out short by the gap, never long. Forgets records ending at or before `acked`.
   */
  issuedAt(start: number, end: number, acked: number): number | undefined {
    while (this.spans.length > 0 && this.spans[0]!.end <= acked) this.spans.shift();
    let carried: number | undefined;
    let ending: number | undefined;
    for (const span of this.spans) {
      if (span.start >= end) break;
      if (span.end <= start) continue;
      carried ??= span.issuedAt;
      if (span.end <= end) ending = span.issuedAt;
    }
    return ending ?? carried;
  }
}

/**
 * The receiving side of a channel: what the frames that brought each record carried, then what
 * each message inherits from them. At the TN the HES's issue stamp (the frame that completed the
 * record holding the message's last byte); at both ends an attacker's label (any frame that
 * carried bytes of a record holding the message), so an acceptance the goal oracle flags is
 * attributed to the attack that delivered it, as a refusal is (ChannelConnection.lastAttack).
 */
export class InboundStamps {
  private readonly scanner = new RecordScanner();
  /** Data frames the stream took (out-of-order ones too), by stream offset, with their stamp and label. */
  private frames: Array<{ readonly start: number; readonly end: number; readonly sentAt?: number; readonly attack?: string }> = [];
  /** Application-data records delivered, by the plaintext offsets they span. */
  private readonly records: Array<{ readonly start: number; readonly end: number; readonly issuedAt?: number; readonly attack?: string }> =
    [];
  private plaintext = 0;

  /**
   * The stream is about to take a frame's payload at stream offset `seq`; returns the function to
   * call if it did not take it after all (a duplicate, out of window).
   */
  received(seq: number, bytes: number, sentAt: number | undefined, attack?: string): () => void {
    if (bytes === 0 || (sentAt === undefined && attack === undefined)) return () => {};
    const frame = { start: seq, end: seq + bytes, ...(sentAt !== undefined ? { sentAt } : {}), ...(attack ? { attack } : {}) };
    this.frames.push(frame);
    return () => {
      this.frames = this.frames.filter((f) => f !== frame);
    };
  }

  /** The stream delivered these bytes, in order, to TLS. */
  delivered(chunk: Uint8Array): void {
    this.scanner.push(chunk, {
      end: (record) => {
        const last = record.end - 1;
        const completing = this.frames.find((f) => f.start <= last && last < f.end);
        let attack: string | undefined;
        for (const f of this.frames) if (f.attack && f.start < record.end && f.end > record.start) attack = f.attack;
        this.frames = this.frames.filter((f) => f.end > record.end);
        if (record.type !== APPLICATION_DATA) return;
        const start = this.plaintext;
        this.plaintext += plaintextBytes(record);
        this.records.push({
          start,
          end: this.plaintext,
          ...(completing?.sentAt !== undefined ? { issuedAt: completing.sentAt } : {}),
          ...(attack ? { attack } : {}),
        });
      },
    });
  }

  /**
   * For the message at plaintext offsets [start, end): when the HES issued it (the stamp of the
   * frame that completed the record holding its last byte), and the label of an attacker frame
   * that carried any of its records, if one did. Ask in plaintext order.
   */
  message(start: number, end: number): { issuedAt: number | undefined; attack: string | undefined } {
    while (this.records.length > 0 && this.records[0]!.end <= start) this.records.shift();
    let attack: string | undefined;
    let issuedAt: number | undefined;
    for (const r of this.records) {
      if (r.end > start && r.start < end) attack = r.attack ?? attack;
      if (r.end >= end) {
        issuedAt = r.issuedAt;
        break;
      }
    }
    return { issuedAt: end > 0 ? issuedAt : undefined, attack };
  }
}
