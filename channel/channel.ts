import type { Clock } from '../core/clock';
import { NO_METRICS, type Metrics } from '../core/metrics';
import type { Random } from '../core/random';
import { SEGMENT_BROADCAST, type DepartureListener, type Destination, type NodeId, type ReceivedFrame } from '../core/transport';
import type { Direction, LinkId, Topology } from '../core/topology';
import { ChannelMeasurement } from './channel-measurement';
import { ChannelError, createChannelControl, type ChannelControl } from './control';
import { Departure, type FrameClassifier, type FrameSink, type WireFrame } from './frame';
import type { ForgedFrame } from './interceptor';
import { InterceptorChain } from './interceptor-chain';
import { Links, type LinkState, type Route } from './links';
import type { MediumEvents } from './medium';
import { PRESETS } from './presets';
import type { LinkProfile, ProfileSpec } from './profile';
import { Taps } from './taps';

/** Reasons the channel refuses a frame (tag `reason` of channel_rejected). */
export type RejectReason =
  | 'unknown-identity'
  | 'unauthenticated'
  | 'not-registered'
  | 'not-neighbour'
  | 'oversize'
  | 'closed'
  | 'malformed-envelope'
  | 'receiver-absent';

export interface ChannelOptions {
  readonly topology: Topology;
  readonly clock: Clock;
  /** The run's seeded generator; every link direction, receiver and interceptor forks its own stream. */
  readonly random: Random;
  /** Names each frame's message class (matchers, taps, metrics); bench/ hands in the protocol's. */
  readonly classify: FrameClassifier;
  readonly metrics?: Metrics | undefined;
  /** The configured profile of each link (a preset plus overrides); pass-through when omitted. */
  readonly profileFor?: (link: LinkId) => ProfileSpec | undefined;
  readonly presets?: Readonly<Record<string, LinkProfile>> | undefined;
  /** Period of the `channel` measurement; 0 turns it off. Default 1000 ms. */
  readonly metricsIntervalMs?: number | undefined;
}

/** What a sender hands along with a frame (Channel.offer). */
export interface OfferOptions {
  /** Clock time the sender handed the frame over (a relay passes its original sender's); default now. */
  readonly sentAt?: number | undefined;
  /** A TCP bridge stream's frame: delivered to this sink instead of a node. */
  readonly sink?: FrameSink | undefined;
  readonly attack?: string | undefined;
  /** Hears when the frame leaves its sender (core/transport.ts). */
  readonly departed?: DepartureListener | undefined;
}

/**
 * A frame for a node another partition of a partitioned run hosts (issue 13): its arrival time and
 * what the node receives. Plain data, so it survives structured clone (postMessage to a worker).
 */
export interface RemoteDelivery {
  readonly at: number;
  readonly to: NodeId;
  readonly received: ReceivedFrame;
}

/** Where the nodes this host does not hold are: a partitioned run's (issue 13). */
export interface RemoteWire {
  isLocal(node: NodeId): boolean;
  /**
   * Takes a frame the medium completed for a node hosted elsewhere, at completion time, which is at
   * least the links' lookahead (lookahead.ts) before `at`.
   */
  ship(delivery: RemoteDelivery): void;
}

export interface ChannelHooks {
  /**
   * Hands a frame to a node. `reentrant` is true when the delivery happens inside the caller's
   * own send or inject (zero-delay path), so an in-process host can defer it. Returns false when
   * the node is not attached.
   */
  deliver(to: NodeId, received: ReceivedFrame, reentrant: boolean): boolean;
  /** Absent: every node is this host's. Present: frames for the others are shipped, not delivered. */
  readonly remote?: RemoteWire | undefined;
}

/**
 * The channel core: a frame offered by a node is admitted to its link (links.ts), shown to the
 * taps (taps.ts), run through the interceptors (interceptor-chain.ts) and queued on the link's
 * medium (medium.ts), which delivers it through the host's hook; counters feed the `channel`
 * measurement (channel-measurement.ts) and the control object (control.ts) acts on all of them.
 * Hosts differ only in how frames come in (offer) and go out (hooks.deliver): the in-process
 * emulated network on any clock, and the ZeroMQ broker on the real clock.
 */
export class Channel {
  readonly control: ChannelControl;
  readonly topology: Topology;
  readonly clock: Clock;
  private readonly links: Links;
  private readonly chain: InterceptorChain;
  private readonly taps = new Taps();
  private readonly measurement: ChannelMeasurement;
  private readonly metrics: Metrics;
  private readonly classify: FrameClassifier;
  private readonly rejected: Record<string, number> = {};
  /** Nesting of offer/inject calls: a delivery inside one is re-entrant for the host. */
  private depth = 0;
  private closed = false;

  constructor(
    options: ChannelOptions,
    private readonly hooks: ChannelHooks,
  ) {
    const { clock, random } = options;
    this.topology = options.topology;
    this.clock = clock;
    this.classify = options.classify;
    this.metrics = options.metrics ?? NO_METRICS;
    const presets = options.presets ?? PRESETS;
    this.links = new Links({
      topology: this.topology,
      clock,
      random,
      presets,
      profileFor: options.profileFor,
      events: this.mediumEvents(),
      isLocal: hooks.remote && ((node) => hooks.remote!.isLocal(node)),
    });
    this.measurement = new ChannelMeasurement(clock, this.metrics, options.metricsIntervalMs ?? 1000, this.links);
    this.chain = new InterceptorChain({
      clock,
      random,
      classify: this.classify,
      readmit: (frame) => this.readmit(frame),
      transmit: (frame) => {
        if (frame.departure) frame.departure.queued = true;
        this.links.of(frame).media[frame.direction].enqueue(frame);
      },
      inject: (forged, afterOrder, origin) => this.injectFrame(forged, afterOrder, origin),
      dropped: (frame) => {
        this.links.of(frame).counters[frame.direction].dropsAttack++;
        frame.sink?.dropped();
      },
      jam: (match, durationMs, owner) => {
        if (this.links.jam(match, durationMs, owner)) this.measurement.arm();
      },
    });
    this.control = createChannelControl({
      links: this.links,
      chain: this.chain,
      taps: this.taps,
      presets,
      rejected: this.rejected,
      inject: (frame) => void this.injectFrame(frame, Infinity, undefined),
    });
  }

  /** A node hands a frame to the wire. Never throws: refusals are counted. */
  offer(from: NodeId, to: Destination, bytes: Uint8Array, options: OfferOptions = {}): void {
    const { sink, attack } = options;
    const sentAt = options.sentAt ?? this.clock.now();
    const departure = options.departed ? new Departure(options.departed) : undefined;
    this.depth++;
    try {
      if (this.closed) return this.reject('closed', from);
      if (!(bytes instanceof Uint8Array)) return this.reject('malformed-envelope', from);
      const route = this.admit(from, to, bytes);
      if (!route) return;
      // A view into a larger message (a ZeroMQ envelope) would keep all of it alive while this frame
      // waits in a queue, refused neighbours included: the admitted frame gets its own copy.
      if (bytes.byteLength !== bytes.buffer.byteLength) bytes = new Uint8Array(bytes);
      // the optional fields set one by one, not spread from objects made for it: a frame per send
      const frame: { -readonly [K in keyof WireFrame]: WireFrame[K] } = {
        link: route.link.id,
        linkName: route.link.name,
        direction: route.direction,
        from,
        to,
        bytes,
        className: this.classify(bytes),
        sentAt,
      };
      if (sink) frame.sink = sink;
      if (attack) frame.attack = attack;
      if (departure) frame.departure = departure;
      this.enter(frame, route.link, undefined);
      this.chain.pass(frame, -Infinity);
    } finally {
      this.depth--;
      // Refused, or held or dropped by an interceptor on the wire: it has left the sender all the same.
      if (departure && !departure.queued) departure.left(this.clock.now());
    }
  }

  /** Counts a frame the channel refused (also used by hosts for envelope and identity errors). */
  reject(reason: RejectReason, from: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.metrics.emit('channel_rejected', { count: 1, from }, { reason });
  }

  /** The effective profile of a link now. */
  profileOf(link: string): LinkProfile | undefined {
    return this.links.get(link)?.profile;
  }

  routeBetween(from: NodeId, to: Destination): { link: string; direction: Direction } | undefined {
    const r = this.links.route(from, to);
    return r && { link: r.link.name, direction: r.direction };
  }

  /** Stops timers; emits the last metrics sample. Frames in flight are discarded. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.measurement.close();
    // Media first: frames that stopping interceptors release have nowhere left to go.
    this.links.close();
    this.chain.clear();
  }

  /** The route of a frame its link takes; refusals are counted. */
  private admit(from: NodeId, to: Destination, bytes: Uint8Array): Route | undefined {
    const route = this.links.admit(from, to, bytes);
    if (typeof route !== 'string') return route;
    this.reject(route, from);
    return undefined;
  }

  /** A frame an interceptor passes on may have been re-addressed: it then travels the link of its new addressees. */
  private readmit(frame: WireFrame): WireFrame | undefined {
    const route = this.admit(frame.from, frame.to, frame.bytes);
    if (!route) return undefined;
    if (route.link.name === frame.linkName && route.direction === frame.direction) return frame;
    return { ...frame, link: route.link.id, linkName: route.link.name, direction: route.direction };
  }

  /** Counts a frame handed to a link and shows it to the taps. */
  private enter(frame: WireFrame, link: LinkState, injectedBy: string | undefined): void {
    const c = link.counters[frame.direction];
    c.framesOffered++;
    c.bytesOffered += frame.bytes.length;
    this.measurement.arm();
    if (!this.taps.listening) return;
    this.taps.show({
      time: this.clock.now(),
      link: link.name,
      kind: link.id.kind,
      direction: frame.direction,
      from: frame.from,
      to: frame.to,
      className: frame.className,
      bytes: frame.bytes,
      sentAt: frame.sentAt,
      ...(injectedBy ? { injectedBy } : {}),
    });
  }

  /** An attacker frame enters the link between from and to, at the chain position after `afterOrder`. */
  private injectFrame(forged: ForgedFrame, afterOrder: number, origin: string | undefined): boolean {
    this.depth++;
    try {
      if (this.closed) return false;
      if (!(forged.bytes instanceof Uint8Array)) throw new ChannelError('BAD_FRAME', 'inject: bytes must be a Uint8Array');
      const route = this.admit(forged.from, forged.to, forged.bytes);
      if (!route) return false;
      const frame: WireFrame = {
        link: route.link.id,
        linkName: route.link.name,
        direction: route.direction,
        from: forged.from,
        to: forged.to,
        bytes: forged.bytes,
        className: this.classify(forged.bytes),
        sentAt: this.clock.now(),
        ...(origin ? { origin } : {}),
        attack: forged.attack ?? origin ?? 'control',
      };
      this.enter(frame, route.link, origin ?? 'control');
      this.chain.pass(frame, afterOrder);
      return true;
    } finally {
      this.depth--;
    }
  }

  /** Counts a frame the medium delivered; the sender's side of the link direction owns the count. */
  private received(frame: WireFrame): ReceivedFrame {
    const c = this.links.of(frame).counters[frame.direction];
    c.framesDelivered++;
    c.bytesDelivered += frame.bytes.length;
    const received: ReceivedFrame = { frame: frame.bytes, from: frame.from, sentAt: frame.sentAt };
    if (frame.attack) received.attack = frame.attack;
    return received;
  }

  private delivered(frame: WireFrame, receiver: NodeId): void {
    const received = this.received(frame);
    if (frame.sink) {
      frame.sink.deliver(received);
      return;
    }
    if (!this.hooks.deliver(receiver, received, this.depth > 0) && frame.to !== SEGMENT_BROADCAST)
      this.reject('receiver-absent', frame.from);
  }

  private mediumEvents(): MediumEvents {
    return {
      started: (frame, start, queueDelayMs, airtimeMs) => {
        frame.departure?.left(start);
        const c = this.links.of(frame).counters[frame.direction];
        c.queueDelaySumMs += queueDelayMs;
        c.queueDelayCount++;
        c.busyMs += airtimeMs;
      },
      delivered: (frame, receiver) => this.delivered(frame, receiver),
      shipped: (frame, receiver, at) => this.hooks.remote!.ship({ at, to: receiver, received: this.received(frame) }),
      lost: (frame, _receiver, reason, jamOwner) => {
        const c = this.links.of(frame).counters[frame.direction];
        if (reason === 'loss') c.dropsLoss++;
        else if (reason === 'queue') {
          c.dropsQueue++;
          frame.departure?.left(this.clock.now());
        } else {
          c.dropsAttack++;
          this.chain.countJamDrop(jamOwner);
        }
        frame.sink?.dropped();
      },
    };
  }
}
