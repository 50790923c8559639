import { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../core/clock';
import type { DepartureListener } from '../../core/transport';
import { TlsChannelError } from './errors';
import { ReorderBuffer, type SegmentFate } from './reorder-buffer';
import { RttEstimator } from './rtt-estimator';
import { initialWindowBytes, type ReliableStreamOptions } from './tcp-parameters';
import { FLAG } from './tls-frame';

/**
 * A reliable, ordered byte stream over lossy frames: the part of TCP that TLS needs beneath it on
 * a PLC segment, kept small. Byte sequence numbers and cumulative acknowledgements (piggybacked on
 * data, or delayed by TCP's rules), an initial window of 10 segments, an adaptive retransmission
 * timeout (RFC 6298 with Karn's rule and exponential backoff, timed from each segment's departure
 * from the node as the transport reports it), fast and early retransmit on
 * duplicate acks (RFC 5681, 5827), and a Reno-style congestion window so that a hundred channels
 * pushing firmware through one segment back off instead of flooding its queue. Out-of-order
 * segments are kept and delivered once the gap fills. The parameters and where they come from are
 * tcp-parameters.ts; the receive side's reassembly is reorder-buffer.ts, the timeout's estimation
 * rtt-estimator.ts.
 *
 * Connection set-up is implicit (the first segment opens it: no SYN round trip), close is one FIN
 * or RST frame. Timers run on the node's Clock.
 */
export { DEFAULT_RELIABLE_OPTIONS, type ReliableStreamOptions } from './tcp-parameters';

/** What the stream hands to the wire; the owner adds the TN id and connection number. */
export interface Segment {
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly payload: Uint8Array;
}

export interface SegmentMeta {
  /** True when this payload was sent before: the bytes count, the clean handshake size does not. */
  readonly retransmission: boolean;
}

/**
 * Hands a segment to the wire. A data segment comes with `departed`, for the transport to tell
 * when it leaves the node (core/transport.ts): its retransmission timer and round-trip sample
 * start there.
 */
export type SegmentSink = (segment: Segment, meta: SegmentMeta, departed?: DepartureListener) => void;

export type { SegmentFate } from './reorder-buffer';

export interface ReliableStreamStats {
  segmentsSent: number;
  retransmissions: number;
  duplicatesReceived: number;
  outOfOrderReceived: number;
}

interface Outstanding {
  readonly seq: number;
  readonly flags: number;
  readonly payload: Uint8Array;
  /** When its latest copy left the node; undefined while that copy waits in the node's transmit queue. */
  sentAt: number | undefined;
  retransmits: number;
}

const MAX_SEQ = 0xffffffff;
/** What a segment's sink is told beside it: one of two objects, not one made per segment. */
const FIRST_COPY: SegmentMeta = Object.freeze({ retransmission: false });
const RETRANSMISSION: SegmentMeta = Object.freeze({ retransmission: true });
const EMPTY = new Uint8Array(0);

export class ReliableStream extends Duplex {
  readonly stats: ReliableStreamStats = { segmentsSent: 0, retransmissions: 0, duplicatesReceived: 0, outOfOrderReceived: 0 };
  // sending
  private unsent: Uint8Array[] = [];
  private unsentBytes = 0;
  private readonly outstanding: Outstanding[] = [];
  private sndUna = 0;
  private sndNxt = 0;
  private cwnd: number;
  private ssthresh: number;
  private readonly rtt: RttEstimator;
  private rtoTimer: TimerHandle | undefined;
  private dupAcks = 0;
  private finRequested: (() => void) | undefined;
  private finSent = false;
  private pumpScheduled = false;
  // receiving
  private readonly received: ReorderBuffer;
  private finAt: number | undefined;
  private ackTimer: TimerHandle | undefined;
  private unackedBytes = 0;
  private ackSoonPending = false;
  private ended = false;
  private resetByPeer = false;
  private silent = false;
  // the node's CPU (see holdOutput)
  private holdUntil = -Infinity;
  private holdTimer: TimerHandle | undefined;
  /** Told each time the user writes bytes, before they are queued (a node models its CPU time here). */
  onWrite: ((bytes: number) => void) | undefined;
  /** Sees the bytes written, in stream order, once queued (issue-stamps.ts reads record headers in them). */
  onSend: ((bytes: Uint8Array) => void) | undefined;
  /** Sees the bytes delivered to the reader, in stream order. */
  onDeliver: ((bytes: Uint8Array) => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sink: SegmentSink,
    private readonly options: ReliableStreamOptions,
  ) {
    super({ allowHalfOpen: true });
    if (!(options.mss > 0)) throw new RangeError(`reliable stream: mss ${options.mss} must be positive`);
    this.cwnd = initialWindowBytes(options);
    this.ssthresh = options.maxWindowBytes;
    this.rtt = new RttEstimator(options);
    this.received = new ReorderBuffer(options.reorderBufferBytes, this.stats, (bytes) => {
      this.onDeliver?.(bytes);
      this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
  }

  /** Next stream offset expected from the peer: payload ending at or before it is a duplicate. */
  get receivedOffset(): number {
    return this.received.expected;
  }

  /** Stream offset up to which the peer acknowledged: nothing before it is sent again. */
  get acknowledgedOffset(): number {
    return this.sndUna;
  }

  /** Bytes written but not yet acknowledged by the peer. */
  get pendingBytes(): number {
    return this.unsentBytes + (this.sndNxt - this.sndUna);
  }

  /**
   * Drops the connection without a word on the wire: the node lost power, or the peer already
   * opened a newer connection that replaces this one.
   */
  discard(): void {
    this.silent = true;
    this.destroy();
  }

  /**
   * The node's CPU is busy for `ms` from now (a public-key operation on a microcontroller): data
   * written meanwhile, and data still waiting to go, leaves when it is done. Acknowledgements and
   * retransmissions are not held.
   */
  holdOutput(ms: number): void {
    if (!(ms > 0) || this.destroyed) return;
    const until = this.clock.now() + ms;
    if (this.holdTimer && until <= this.holdUntil) return;
    this.holdUntil = until;
    this.holdTimer?.cancel();
    this.holdTimer = this.clock.setTimer(ms, () => {
      this.holdTimer = undefined;
      this.pump();
    });
  }

  /** Feeds one segment from the wire and tells what became of it. Never throws. */
  receive(segment: Segment): SegmentFate {
    if (this.destroyed) return 'duplicate';
    if (segment.flags & FLAG.rst) {
      this.resetByPeer = true;
      this.destroy(new TlsChannelError('RESET', 'connection reset by peer'));
      return 'accepted';
    }
    const pureAck = segment.payload.length === 0 && !(segment.flags & FLAG.fin);
    const ackFate = this.onAck(segment.ack, pureAck);
    let fate: SegmentFate = pureAck ? ackFate : 'accepted';
    if (segment.payload.length > 0) fate = this.onData(segment.seq, segment.payload, (segment.flags & FLAG.psh) !== 0);
    if (segment.flags & FLAG.fin) {
      if (this.finAt !== undefined && segment.payload.length === 0) fate = 'duplicate';
      this.finAt = segment.seq + segment.payload.length;
      this.sendAckNow();
    }
    this.maybeEnd();
    return fate;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.enqueue(chunk);
    callback();
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) this.enqueue(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finRequested = callback;
    this.schedulePump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.rtoTimer?.cancel();
    this.ackTimer?.cancel();
    this.holdTimer?.cancel();
    if (!this.resetByPeer && !this.silent && !(this.finSent && this.ended)) this.emitSegment(FLAG.rst, this.sndNxt, EMPTY, false);
    callback(error);
  }

  private enqueue(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.onWrite?.(chunk.length);
    if (this.sndNxt + this.pendingBytes + chunk.length > MAX_SEQ) {
      this.destroy(new TlsChannelError('OVERFLOW', 'reliable stream: 4 GiB sequence space used up'));
      return;
    }
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice();
    this.unsent.push(bytes);
    this.unsentBytes += chunk.length;
    this.onSend?.(bytes);
    this.schedulePump();
  }

  /** Writes made in one tick (TLS writes a flight in pieces) leave in as few segments as possible. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    process.nextTick(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.destroyed || this.holdTimer) return;
    const { mss } = this.options;
    while (this.unsentBytes > 0) {
      // Whole segments only (no silly-window trickle); one may always go when nothing is in flight.
      const size = Math.min(mss, this.unsentBytes);
      const inFlight = this.sndNxt - this.sndUna;
      if (inFlight > 0 && inFlight + size > this.cwnd) break;
      const payload = this.takeUnsent(size);
      // PSH on the segment that ends what the application wrote: the receiver need not wait for more.
      const flags = this.unsentBytes === 0 ? FLAG.psh : 0;
      const segment: Outstanding = { seq: this.sndNxt, flags, payload, sentAt: undefined, retransmits: 0 };
      this.outstanding.push(segment);
      this.sndNxt += payload.length;
      this.emitData(segment, false);
    }
    if (this.finRequested && this.unsentBytes === 0 && this.outstanding.length === 0 && !this.finSent) {
      this.finSent = true;
      this.emitSegment(FLAG.fin, this.sndNxt, EMPTY, false);
      const done = this.finRequested;
      this.finRequested = undefined;
      done();
      this.maybeEnd();
    }
  }

  private takeUnsent(n: number): Uint8Array {
    const first = this.unsent[0]!;
    if (first.length >= n) {
      // the whole segment from one write (enqueue copied it): a view, no copy
      if (first.length === n) this.unsent.shift();
      else this.unsent[0] = first.subarray(n);
      this.unsentBytes -= n;
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.unsent[0]!;
      const part = Math.min(head.length, n - at);
      out.set(head.subarray(0, part), at);
      at += part;
      if (part === head.length) this.unsent.shift();
      else this.unsent[0] = head.subarray(part);
    }
    this.unsentBytes -= n;
    return out;
  }

  private emitSegment(flags: number, seq: number, payload: Uint8Array, retransmission: boolean, departed?: DepartureListener): void {
    this.ackTimer?.cancel();
    this.ackTimer = undefined;
    this.unackedBytes = 0;
    this.stats.segmentsSent++;
    if (retransmission) this.stats.retransmissions++;
    this.sink({ flags, seq, ack: this.received.expected, payload }, retransmission ? RETRANSMISSION : FIRST_COPY, departed);
  }

  /**
   * Sends (a copy of) an outstanding segment. Its timer starts when it leaves the node, as a
   * host's TCP times a segment from when it leaves the host (core/transport.ts DepartureListener):
   * a segment waiting in the node's own transmit queue (a PLC modem's MAC queue behind a storm's
   * frames) is not late, and resending it would only lengthen the queue.
   */
  private emitData(segment: Outstanding, retransmission: boolean): void {
    segment.sentAt = undefined;
    const copy = segment.retransmits;
    this.emitSegment(segment.flags, segment.seq, segment.payload, retransmission, (at) => {
      if (segment.retransmits !== copy || this.destroyed) return; // an older copy
      segment.sentAt = at;
      if (this.outstanding[0] === segment) this.armRto(at);
    });
  }

  /**
   * Takes an acknowledgement; tells whether it acknowledged anything new. A duplicate ack still
   * counts towards a fast retransmit (it says the peer saw a gap), but carries nothing new.
   */
  private onAck(ack: number, pureAck: boolean): SegmentFate {
    if (ack > this.sndNxt) return 'out-of-window'; // acknowledges bytes never sent: ignore (forged or from an older connection)
    if (ack <= this.sndUna) {
      // Early retransmit (RFC 5827): with fewer than four segments out, three duplicates never come.
      const threshold = this.unsentBytes === 0 && this.outstanding.length < 4 ? Math.max(1, this.outstanding.length - 1) : 3;
      if (pureAck && ack === this.sndUna && this.outstanding.length > 0 && ++this.dupAcks === threshold) this.fastRetransmit();
      return 'duplicate';
    }
    const acked = ack - this.sndUna;
    this.sndUna = ack;
    this.dupAcks = 0;
    // Karn: no sample from an ack that covers a retransmitted segment, since the segments behind a
    // repaired hole were held up by the repair, not by the path.
    let newestSentAt: number | undefined;
    let clean = true;
    while (this.outstanding.length > 0) {
      const head = this.outstanding[0]!;
      if (head.seq + head.payload.length > ack) break;
      if (head.retransmits > 0) clean = false;
      newestSentAt = head.sentAt; // undefined (no sample) for a segment acknowledged before it left: a forged ack
      this.outstanding.shift();
    }
    const sample = clean && newestSentAt !== undefined ? this.clock.now() - newestSentAt : undefined;
    const partial = this.outstanding[0];
    if (partial && partial.seq < ack) {
      // The peer took part of a segment (it never does today, but a sender must not resend acked bytes).
      this.outstanding[0] = { ...partial, seq: ack, payload: partial.payload.subarray(ack - partial.seq) };
    }
    this.rtt.acknowledged(sample);
    this.cwnd = Math.min(
      this.options.maxWindowBytes,
      this.cwnd < this.ssthresh
        ? this.cwnd + acked
        : this.cwnd + Math.max(1, Math.floor((this.options.mss * this.options.mss) / this.cwnd)),
    );
    this.rtoTimer?.cancel();
    this.rtoTimer = undefined;
    // RFC 6298 5.3: restarted from now, once the oldest segment outstanding has left the node.
    this.armRto(this.clock.now());
    this.pump();
    return 'accepted';
  }

  /** RFC 6298 5.1: the timer runs while data is outstanding, from `start` (a departure, or an ack). */
  private armRto(start: number): void {
    const head = this.outstanding[0];
    if (this.rtoTimer || !head || head.sentAt === undefined || this.destroyed) return;
    this.rtoTimer = this.clock.setTimer(Math.max(0, start + this.rtt.rto - this.clock.now()), () => this.onRtoExpired());
  }

  private onRtoExpired(): void {
    this.rtoTimer = undefined;
    const head = this.outstanding[0];
    // A copy still in the node's transmit queue (a fast retransmit) is not resent: its departure re-arms the timer.
    if (!head || head.sentAt === undefined || this.destroyed) return;
    if (head.retransmits >= this.options.maxRetransmits) {
      this.destroy(new TlsChannelError('TIMEOUT', `no acknowledgement after ${head.retransmits} retransmissions`));
      return;
    }
    this.ssthresh = Math.max(2 * this.options.mss, Math.floor((this.sndNxt - this.sndUna) / 2));
    this.cwnd = this.options.mss;
    this.rtt.backOff();
    this.resend(head);
  }

  private fastRetransmit(): void {
    this.ssthresh = Math.max(2 * this.options.mss, Math.floor((this.sndNxt - this.sndUna) / 2));
    this.cwnd = this.ssthresh;
    this.resend(this.outstanding[0]!);
  }

  private resend(segment: Outstanding): void {
    segment.retransmits++;
    this.emitData(segment, true);
  }

  /**
   * Delayed acknowledgement (tcp-parameters.ts): at once for a duplicate or a segment ahead of a
   * gap, soon for every second full segment and for the end of the sender's flight, otherwise
   * after ackDelayMs unless data leaves first and carries it.
   */
  private onData(seq: number, payload: Uint8Array, push: boolean): SegmentFate {
    const { fate, inOrder } = this.received.take(seq, payload);
    // A duplicate: our acknowledgement was lost, repeat it. Ahead of a gap: a duplicate ack tells the sender about the gap.
    if (!inOrder) {
      this.sendAckNow();
      return fate;
    }
    this.unackedBytes += payload.length;
    if (push || this.unackedBytes >= 2 * this.options.mss) this.ackSoon();
    else this.scheduleAck();
    return fate;
  }

  private scheduleAck(): void {
    if (this.ackTimer) return;
    this.ackTimer = this.clock.setTimer(this.options.ackDelayMs, () => {
      this.ackTimer = undefined;
      this.sendAckNow();
    });
  }

  /**
   * Acknowledges after the current turn: TLS answers a flight in the same turn it reads it, so
   * the answer usually leaves first and carries the acknowledgement, saving a frame (and its PHY
   * overhead, which on G3-PLC costs more air time than the ack itself).
   */
  private ackSoon(): void {
    if (this.ackSoonPending) return;
    this.ackSoonPending = true;
    this.clock.setTimer(0, () => {
      this.ackSoonPending = false;
      if (this.unackedBytes > 0) this.sendAckNow();
    });
  }

  private sendAckNow(): void {
    if (this.destroyed) return;
    this.emitSegment(0, this.sndNxt, EMPTY, false);
  }

  private maybeEnd(): void {
    if (this.finAt !== undefined && this.received.expected >= this.finAt && !this.ended) {
      this.ended = true;
      this.push(null);
    }
  }
}
