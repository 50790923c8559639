import type { Clock, TimerHandle } from '../core/clock';
import { RttEstimator, type RtoBounds } from '../core/rto';
import type { NodeId } from '../core/transport';
import type { Channel } from './channel';
import type { FrameSink } from './frame';
import { bitRateOf, type LinkProfile } from './profile';

/** The TCP a bridged stream gets on its link (channel/README.md, "TCP bridge"). */
export interface BridgeTcpOptions extends RtoBounds {
  /** Payload bytes of one segment; undefined: what the link's profile implies (segmentBytesFor). */
  readonly segmentBytes: number | undefined;
  /** Bytes of one direction the bridge holds (read from the source, not yet written to the sink); undefined: bufferBytesFor. */
  readonly bufferBytes: number | undefined;
  /** Retransmissions of one segment (the SYN included) before the connection is reset. */
  readonly maxRetransmits: number;
}

/** Counters of a bridge, summed over its connections. */
export interface BridgeStats {
  connections: number;
  /** Clients reset at once: too many connections, or the upstream refused. */
  refused: number;
  /** Connections ended by a reset: a peer's, or the bridge's after maxRetransmits. */
  resets: number;
  /** Segments sent again after a retransmission timeout. */
  retransmissions: number;
  bytesUp: number;
  bytesDown: number;
  /** Most bytes one direction held at once (read from its source, not yet taken by its sink). */
  peakBufferedBytes: number;
}

/**
 * Payload of one TCP segment on a link: on an IP link whose PSDU is the segment (the WAN presets:
 * 1460 bytes, 1452 behind PPPoE) the PSDU; elsewhere the largest frame less IPv6 and TCP headers
 * (1220 bytes on a 6LoWPAN PLC link carrying the IPv6 minimum MTU), at most 1460.
 */
export function segmentBytesFor(profile: LinkProfile): number {
  if (profile.maxPsdu !== null && profile.maxPsdu >= 536) return profile.maxPsdu;
  return Math.max(1, Math.min(1460, profile.maxFrameBytes - 60));
}

/**
 * What a direction holds by default: twice its bandwidth-delay product (the round trip counted
 * as two latencies and 2 ms of timer slack), at least 16 segments (fast retransmit needs later
 * segments to go by). Enough to keep the link busy, small enough that the source's sender sees
 * the link's rate instead of the bridge's buffer.
 */
export function bufferBytesFor(profile: LinkProfile, up: boolean): number {
  const bdp = (bitRateOf(profile, up) / 8000) * (2 * profile.latencyMs + 2);
  return Math.max(16 * segmentBytesFor(profile), Math.ceil(2 * bdp));
}

type Kind = 'syn' | 'data' | 'fin' | 'rst';

/** Later segments acknowledged that mark an unacknowledged one lost (RFC 6675's DupThresh). */
const DUP_THRESHOLD = 3;

/** TCP options of a SYN (MSS, SACK permitted, timestamps, window scale): its bytes on the wire. */
const SYN_OPTION_BYTES = 20;

interface Segment {
  readonly index: number;
  readonly kind: Kind;
  readonly bytes: Uint8Array;
  state: 'ready' | 'onLink' | 'lost' | 'acked';
  retransmits: number;
  sentAt: number;
  /** Later segments acknowledged since this one was last sent (three mark it lost, as SACK does). */
  later: number;
  /** Acknowledged and (data) written by the receiving end: its buffer space is free. */
  acked: boolean;
  written: boolean;
}

/** What one direction's ends do with what crosses it. */
export interface DirectionEvents {
  /** Receiving end, in order: a SYN, data to write (call `written` once the sink took it), a FIN, a RST. */
  syn(): void;
  data(bytes: Uint8Array, written: () => void): void;
  fin(): void;
  rst(): void;
  /** Sending end: the buffer has room again, the source may be read. */
  drained(): void;
  /** Sending end: a segment was sent maxRetransmits times in vain; the connection is reset. */
  gaveUp(): void;
}

/**
 * One direction of a bridged TCP connection: segments travel from -> to as frames on the link,
 * in the link's queue (at most queueFrames at a time) with its airtime, loss and link-layer
 * retries. The receiving end acknowledges every segment it gets (selectively, as SACK does); the
 * acknowledgement reaches the sender one link latency later and takes no airtime. A segment the
 * link lost (loss beyond its retries, a full queue, a drop or jam interceptor) is sent again once
 * three later segments are acknowledged (fast retransmit), or when the retransmission timer
 * expires (RFC 6298: SRTT + 4 RTTVAR, doubled on each expiry, no sample from a retransmitted
 * segment); the receiving end writes bytes in order only, so a loss costs
 * time, never a hole. After maxRetransmits in vain the connection is reset.
 */
export class StreamDirection {
  private readonly segments: Segment[] = [];
  private nextIndex = 0;
  private buffered = 0;
  private onLink = 0;
  private full = false;
  private timer: TimerHandle | undefined;
  private readonly rtt: RttEstimator;
  private readonly clock: Clock;
  private readonly route: { link: string };
  /** Receiving end: next index to hand over, and segments that came early. */
  private expected = 0;
  private readonly early = new Map<number, { seg: Segment; bytes: Uint8Array }>();
  private withdrawn = false;
  private readonly up: boolean;

  constructor(
    private readonly channel: Channel,
    private readonly from: NodeId,
    private readonly to: NodeId,
    private readonly options: BridgeTcpOptions,
    private readonly stats: BridgeStats,
    private readonly events: DirectionEvents,
  ) {
    this.clock = channel.clock;
    const route = channel.routeBetween(from, to)!;
    this.route = route;
    this.up = route.direction === 'up';
    this.rtt = new RttEstimator(options);
  }

  get closed(): boolean {
    return this.withdrawn;
  }

  /** Queues bytes of the source; false when the buffer is full and the source should pause. */
  write(data: Uint8Array): boolean {
    if (this.withdrawn) return false;
    const size = this.options.segmentBytes ?? segmentBytesFor(this.profile());
    for (let o = 0; o < data.length; o += size) this.add('data', data.subarray(o, Math.min(data.length, o + size)));
    this.pump();
    this.full = this.buffered >= this.bufferBytes();
    return !this.full;
  }

  /** Sends a SYN, FIN or RST in sequence behind the data (a RST is not acknowledged by TCP, but here it is carried reliably). */
  control(kind: Exclude<Kind, 'data'>): void {
    if (this.withdrawn) return;
    this.add(kind, new Uint8Array(kind === 'syn' ? SYN_OPTION_BYTES : 0));
    this.pump();
  }

  /** The connection is gone: frames of this direction still queued leave the medium, timers stop. */
  withdraw(): void {
    this.withdrawn = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.segments.length = 0;
    this.early.clear();
  }

  private profile(): LinkProfile {
    return this.channel.profileOf(this.route.link)!;
  }

  private bufferBytes(): number {
    return this.options.bufferBytes ?? bufferBytesFor(this.profile(), this.up);
  }

  private add(kind: Kind, bytes: Uint8Array): void {
    const seg: Segment = {
      index: this.nextIndex++,
      kind,
      bytes,
      state: 'ready',
      retransmits: 0,
      sentAt: 0,
      later: 0,
      acked: false,
      written: kind !== 'data',
    };
    this.segments.push(seg);
    this.buffered += bytes.length;
    if (this.buffered > this.stats.peakBufferedBytes) this.stats.peakBufferedBytes = this.buffered;
  }

  /** Offers ready segments, oldest first, while the link's queue has room for them. */
  private pump(): void {
    const window = Math.max(1, this.profile().queueFrames);
    for (const seg of this.segments) {
      if (this.withdrawn || this.onLink >= window) return;
      if (seg.state === 'ready') this.offer(seg);
    }
  }

  private offer(seg: Segment): void {
    seg.state = 'onLink';
    seg.later = 0;
    if (seg.retransmits === 0) seg.sentAt = this.clock.now();
    this.onLink++;
    let settled = false;
    const leaveLink = (lost: boolean): void => {
      if (settled) return;
      settled = true;
      this.onLink--;
      if (lost && seg.state === 'onLink') seg.state = 'lost';
      if (!this.withdrawn) this.pump();
    };
    const gone = (): boolean => this.withdrawn;
    const sink: FrameSink = {
      deliver: (r) => {
        leaveLink(false);
        this.receive(seg, r.frame);
      },
      dropped: () => leaveLink(true),
      get closed() {
        return gone();
      },
    };
    if (!this.timer) this.arm();
    this.channel.offer(this.from, this.to, seg.bytes, { sink });
  }

  /** Receiving end: a segment arrived (maybe twice, maybe early); hand over what is in order, acknowledge. */
  private receive(seg: Segment, bytes: Uint8Array): void {
    if (this.withdrawn) return;
    const latency = this.profile().latencyMs;
    if (latency > 0) this.clock.setTimer(latency, () => this.acknowledge(seg));
    else queueMicrotask(() => this.acknowledge(seg));
    if (seg.index < this.expected || this.early.has(seg.index)) return;
    // An interceptor may have altered the bytes: what arrived is what the sink gets.
    this.early.set(seg.index, { seg, bytes });
    for (let e = this.early.get(this.expected); e; e = this.early.get(this.expected)) {
      this.early.delete(this.expected++);
      this.handOver(e.seg, e.bytes);
      if (this.withdrawn) return;
    }
  }

  private handOver(seg: Segment, bytes: Uint8Array): void {
    switch (seg.kind) {
      case 'syn':
        return this.events.syn();
      case 'fin':
        return this.events.fin();
      case 'rst':
        return this.events.rst();
      case 'data':
        this.stats[this.up ? 'bytesUp' : 'bytesDown'] += bytes.length;
        return this.events.data(bytes, () => {
          if (seg.written) return;
          seg.written = true;
          this.release(seg);
        });
    }
  }

  /** Sending end: the acknowledgement of a segment arrived. */
  private acknowledge(seg: Segment): void {
    if (this.withdrawn || seg.acked) return;
    seg.acked = true;
    seg.state = 'acked';
    // Karn's rule: a retransmitted segment's acknowledgement says nothing about the round trip.
    this.rtt.acknowledged(seg.retransmits === 0 ? this.clock.now() - seg.sentAt : undefined);
    this.timer?.cancel();
    this.timer = undefined;
    if (this.segments.some((s) => s.state === 'onLink' || s.state === 'lost')) this.arm();
    this.release(seg);
    // Fast retransmit (RFC 5681 3.2, RFC 6675): three later segments acknowledged mark an earlier one lost.
    for (const s of this.segments) {
      if (s.index >= seg.index || s.state !== 'lost' || ++s.later < DUP_THRESHOLD) continue;
      if (++s.retransmits > this.options.maxRetransmits) return this.events.gaveUp();
      s.state = 'ready';
      this.stats.retransmissions++;
    }
    this.pump();
  }

  private release(seg: Segment): void {
    if (!seg.acked || !seg.written) return;
    const i = this.segments.indexOf(seg);
    if (i >= 0) this.segments.splice(i, 1);
    this.buffered -= seg.bytes.length;
    if (this.full && this.buffered < this.bufferBytes() / 2) {
      this.full = false;
      this.events.drained();
    }
  }

  private arm(): void {
    this.timer = this.clock.setTimer(this.rtt.rto, () => this.expired());
  }

  /** RFC 6298 5.4-5.6: send again what the link lost, back off, restart the timer. */
  private expired(): void {
    this.timer = undefined;
    if (this.withdrawn) return;
    const lost = this.segments.filter((s) => s.state === 'lost');
    for (const s of lost) {
      if (++s.retransmits > this.options.maxRetransmits) return this.events.gaveUp();
      s.state = 'ready';
      this.stats.retransmissions++;
    }
    // Nothing lost: the oldest segment still waits in the link's queue; sending a copy would only lengthen it.
    if (lost.length > 0) this.rtt.backOff();
    if (this.segments.some((s) => s.state !== 'acked')) this.arm();
    this.pump();
  }
}
