import type { Clock, TimerHandle } from '../core/clock';
import type { Random } from '../core/random';
import { SEGMENT_BROADCAST, type NodeId } from '../core/transport';
import type { WireFrame } from './frame';
import { TimeHeap } from '../core/time-heap';
import { drawJitter, type LossProcess } from './loss';
import { bitRateOf, phyFrameMs, type LinkProfile } from './profile';
import { fragmentSizes } from '../core/phy';
import type { Direction } from '../core/topology';

/** Why a frame did not reach a receiver. */
export type LossReason = 'loss' | 'queue' | 'jam';

export interface MediumEvents {
  /** A frame began transmission at `start` after waiting queueDelayMs; it occupies the medium for airtimeMs. */
  started(frame: WireFrame, start: number, queueDelayMs: number, airtimeMs: number): void;
  delivered(frame: WireFrame, receiver: NodeId): void;
  /** A receiver hosted elsewhere (MediumEnv.isLocal) gets the frame at `at`: told at completion, never scheduled here. */
  shipped(frame: WireFrame, receiver: NodeId, at: number): void;
  /** jamOwner: id of the interceptor whose jam destroyed the frame (reason 'jam'). */
  lost(frame: WireFrame, receiver: NodeId | undefined, reason: LossReason, jamOwner?: string): void;
}

/** What a medium asks of the link it belongs to. */
export interface MediumEnv {
  profile(): LinkProfile;
  lossProcess(direction: Direction, receiver: NodeId): LossProcess;
  jitterRandom(direction: Direction, receiver: NodeId): Random;
  receivers(frame: WireFrame): readonly NodeId[];
  /** In a partitioned run (issue 13), false for a receiver another partition hosts; absent: all are local. */
  readonly isLocal?: ((receiver: NodeId) => boolean) | undefined;
  readonly events: MediumEvents;
}

interface Waiting {
  readonly frame: WireFrame;
  readonly enqueuedAt: number;
  readonly receivers: readonly NodeId[];
}

interface InFlight {
  readonly item: Waiting;
  readonly start: number;
  readonly end: number;
  /** Per receiver: true when the medium lost the frame for it. */
  readonly lost: readonly boolean[];
}

interface Delivery {
  at: number;
  seq: number;
  frame: WireFrame;
  receiver: NodeId;
}

interface Jam {
  readonly from: number;
  readonly to: number;
  readonly owner: string;
}

/**
 * One transmission medium: a FIFO queue in front of a transmitter that sends one
 * frame at a time at the profile's bit rate, then delivers it to each receiver after propagation
 * latency plus jitter, or loses it. A PLC segment is one medium for both directions; a
 * full-duplex WAN link has one per direction.
 *
 * Each sender has its own transmit buffer of queueFrames frames with drop-tail, as each PLC
 * modem has its own MAC queue; the medium serves all buffers in order of arrival. So a hundred
 * TNs answering one meter request at once wait their turn instead of overflowing one shared queue.
 *
 * Times are ideal, not timer times: a frame starts at max(enqueue, previous end, end of a jam),
 * so late timers on a real clock do not stretch the modelled airtime, and the same code gives the
 * same results on a virtual clock. With no bit rate and no delay the medium forwards in the
 * caller's turn without any timer (the broker's pass-through path).
 */
export class Medium {
  private readonly queue: Waiting[] = [];
  /** Frames waiting per sender: each node's transmit buffer holds queueFrames. */
  private readonly waitingFrom = new Map<NodeId, number>();
  private head = 0;
  private busyUntil = -Infinity;
  private inFlight: InFlight | undefined;
  private transmitTimer: TimerHandle | undefined;
  private readonly deliveries = new TimeHeap<Delivery>();
  private deliveryTimer: TimerHandle | undefined;
  private deliveryTimerAt = Infinity;
  private readonly lastArrival = new Map<NodeId, number>();
  private jams: Jam[] = [];
  private seq = 0;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly env: MediumEnv,
  ) {}

  get waiting(): number {
    return this.queue.length - this.head;
  }

  enqueue(frame: WireFrame): void {
    if (this.closed) return;
    const profile = this.env.profile();
    const queued = this.waitingFrom.get(frame.from) ?? 0;
    if (queued >= profile.queueFrames && (this.inFlight || this.waiting > 0)) {
      this.env.events.lost(frame, undefined, 'queue');
      return;
    }
    this.waitingFrom.set(frame.from, queued + 1);
    this.queue.push({ frame, enqueuedAt: this.clock.now(), receivers: this.env.receivers(frame) });
    if (!this.inFlight) this.pump();
  }

  /** Occupies the medium for durationMs from now: frames on the air meanwhile are destroyed, others wait. */
  jam(durationMs: number, owner: string): void {
    const now = this.clock.now();
    this.jams.push({ from: now, to: now + Math.max(0, durationMs), owner });
  }

  /** Ends every timer; queued and in-flight frames are discarded. */
  close(): void {
    this.closed = true;
    this.transmitTimer?.cancel();
    this.deliveryTimer?.cancel();
    this.queue.length = 0;
    this.waitingFrom.clear();
    this.head = 0;
    this.inFlight = undefined;
    this.deliveries.clear();
  }

  private pump(): void {
    while (!this.inFlight && this.head < this.queue.length && !this.closed) {
      const item = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Waiting;
      const left = (this.waitingFrom.get(item.frame.from) ?? 1) - 1;
      if (left > 0) this.waitingFrom.set(item.frame.from, left);
      else this.waitingFrom.delete(item.frame.from);
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      // A frame of a closed bridge connection is withdrawn: it no longer occupies the medium.
      if (item.frame.sink?.closed) continue;
      const start = this.clearOfJams(Math.max(item.enqueuedAt, this.busyUntil));
      const flight = this.transmit(item, start);
      this.busyUntil = flight.end;
      this.env.events.started(item.frame, start, start - item.enqueuedAt, flight.end - start);
      if (flight.end <= this.clock.now() && !this.jammedDuring(flight)) {
        this.complete(flight);
      } else {
        this.inFlight = flight;
        this.transmitTimer = this.clock.setTimer(flight.end - this.clock.now(), this.transmitted);
      }
    }
  }

  /** Draws every loss decision now, so the airtime (which retries lengthen) is known at the start. */
  private transmit(item: Waiting, start: number): InFlight {
    const profile = this.env.profile();
    const { frame, receivers } = item;
    const rate = bitRateOf(profile, frame.direction === 'up');
    const fragments = fragmentSizes(profile, frame.bytes.length);
    let air = 0;
    const lost: boolean[] = [];
    if (receivers.length === 1 && frame.to !== SEGMENT_BROADCAST) {
      const loss = this.env.lossProcess(frame.direction, receivers[0]!);
      const attempts = profile.retries + 1;
      let gone = false;
      for (const f of fragments) {
        let delivered = false;
        for (let a = 0; a < attempts && !delivered; a++) {
          air += phyFrameMs(profile, f, rate);
          delivered = !loss.lost();
        }
        if (!delivered) {
          gone = true;
          break;
        }
      }
      lost.push(gone);
    } else {
      for (const f of fragments) air += phyFrameMs(profile, f, rate);
      for (const r of receivers) {
        const loss = this.env.lossProcess(frame.direction, r);
        let gone = false;
        // Every fragment is drawn even after a loss: a bursty model's state moves with each PHY frame.
        for (let i = 0; i < fragments.length; i++) if (loss.lost()) gone = true;
        lost.push(gone);
      }
    }
    return { item, start, end: start + air, lost };
  }

  private complete(flight: InFlight): void {
    const { frame, receivers } = flight.item;
    const jam = this.jammedDuring(flight);
    const profile = this.env.profile();
    const now = this.clock.now();
    for (let i = 0; i < receivers.length; i++) {
      const receiver = receivers[i]!;
      if (jam) {
        this.env.events.lost(frame, receiver, 'jam', jam.owner);
        continue;
      }
      if (flight.lost[i]) {
        this.env.events.lost(frame, receiver, 'loss');
        continue;
      }
      let at = flight.end + profile.latencyMs;
      if (profile.jitter.distribution !== 'none') at += drawJitter(profile.jitter, this.env.jitterRandom(frame.direction, receiver));
      // Jitter never reorders frames to one receiver; reordering is the reorder interceptor's job.
      const last = this.lastArrival.get(receiver);
      if (last !== undefined && last > at) at = last;
      if (profile.jitter.distribution !== 'none' || profile.latencyMs > 0) this.lastArrival.set(receiver, at);
      // Shipped as soon as its arrival is known, so the receiver's partition has it before its clock reaches `at`.
      if (this.env.isLocal && !this.env.isLocal(receiver)) this.env.events.shipped(frame, receiver, at);
      else if (at <= now && this.deliveries.size === 0) this.env.events.delivered(frame, receiver);
      else this.scheduleDelivery({ at, seq: this.seq++, frame, receiver });
    }
    this.pruneJams();
  }

  private scheduleDelivery(d: Delivery): void {
    this.deliveries.push(d);
    const head = this.deliveries.peek()!;
    if (head.at >= this.deliveryTimerAt) return;
    this.deliveryTimer?.cancel();
    this.deliveryTimerAt = head.at;
    this.deliveryTimer = this.clock.setTimer(head.at - this.clock.now(), this.deliverDue);
  }

  /** The medium's timers' functions, made once rather than a closure for every frame. */
  private readonly transmitted = (): void => {
    this.transmitTimer = undefined;
    const done = this.inFlight!;
    this.inFlight = undefined;
    this.complete(done);
    this.pump();
  };

  private readonly deliverDue = (): void => {
    this.deliveryTimer = undefined;
    this.deliveryTimerAt = Infinity;
    // Clocks never fire early (RealClock re-arms), so nothing is delivered before the model allows.
    const now = this.clock.now();
    while (this.deliveries.size > 0 && this.deliveries.peek()!.at <= now) {
      const d = this.deliveries.pop()!;
      this.env.events.delivered(d.frame, d.receiver);
    }
    const next = this.deliveries.peek();
    if (next && !this.closed) {
      this.deliveryTimerAt = next.at;
      this.deliveryTimer = this.clock.setTimer(next.at - this.clock.now(), this.deliverDue);
    }
  };

  private clearOfJams(t: number): number {
    for (let moved = true; moved;) {
      moved = false;
      for (const j of this.jams)
        if (j.from <= t && t < j.to) {
          t = j.to;
          moved = true;
        }
    }
    return t;
  }

  private jammedDuring(flight: InFlight): Jam | undefined {
    for (const j of this.jams) if (j.from < flight.end && flight.start < j.to && j.to > j.from) return j;
    return undefined;
  }

  private pruneJams(): void {
    if (this.jams.length === 0) return;
    const now = this.clock.now();
    this.jams = this.jams.filter((j) => j.to > now || j.to > this.busyUntil);
  }
}
