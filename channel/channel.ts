import type { Clock, TimerHandle } from '../core/clock';
import type { Metrics } from '../core/metrics';
import { NO_METRICS } from '../core/metrics';
import type { Random } from '../core/random';
import { SEGMENT_BROADCAST, type Destination, type NodeId, type ReceivedFrame } from '../core/transport';
import { counterDelta, hasActivity, zeroCounters, type DirectionCounters } from './counters';
import type { FrameClassifier, FrameSink, WireFrame } from './frame';
import {
  compileMatcher,
  createInterceptor,
  interceptorSpecSchema,
  interceptorTypes,
  InterceptorConfigError,
  isStarting,
  isStopping,
  matcherCovers,
  type ForgedFrame,
  type FrameTest,
  type Interceptor,
  type InterceptorContext,
  type InterceptorInfo,
  type InterceptorSpec,
  type InterceptorStats,
  type Matcher,
} from './interceptor';
import './interceptors';
import { createLossProcess, type LossProcess } from './loss';
import { Medium, type MediumEnv, type MediumEvents } from './medium';
import { PRESETS } from './presets';
import { describeZodIssues, resolveProfile, type LinkProfile, type ProfileSpec } from './profile';
import { linkName, type Direction, type LinkId, type Topology } from '../core/topology';

/** Reasons the channel refuses a frame (tag `reason` of channel_rejected). */
export type RejectReason = 'unknown-identity' | 'not-neighbour' | 'oversize' | 'closed' | 'malformed-envelope' | 'receiver-absent';

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

export interface ChannelHooks {
  /**
   * Hands a frame to a node. `reentrant` is true when the delivery happens inside the caller's
   * own send or inject (zero-delay path), so an in-process host can defer it. Returns false when
   * the node is not attached.
   */
  deliver(to: NodeId, received: ReceivedFrame, reentrant: boolean): boolean;
}

/** A frame seen on the wire by a tap: the attacker's recording position. */
export interface TapEvent {
  readonly time: number;
  readonly link: string;
  readonly kind: 'wan' | 'plc';
  readonly direction: Direction;
  readonly from: NodeId;
  readonly to: Destination;
  readonly className: string;
  readonly bytes: Uint8Array;
  readonly sentAt: number;
  /** Id of the interceptor that injected it, 'control' for control API injections; absent for node frames. */
  readonly injectedBy?: string;
}
export type TapHandler = (event: TapEvent) => void;

export interface LinkInfo {
  readonly name: string;
  readonly kind: 'wan' | 'plc';
  readonly dc: NodeId;
  /** Nodes on the link. */
  readonly members: readonly NodeId[];
  /** What the configuration or the last setProfile asked for. */
  readonly spec: ProfileSpec;
  readonly profile: LinkProfile;
}

export interface ChannelStats {
  readonly links: Record<string, { up: DirectionCounters; down: DirectionCounters }>;
  readonly rejected: Record<string, number>;
}

/** A programmatic interceptor: a plain function is enough. */
export type InterceptorFn = (frame: WireFrame, ctx: InterceptorContext) => void;

export interface CustomInterceptorOptions {
  readonly id?: string;
  readonly match?: Matcher;
  readonly probability?: number;
  /** Shown in listings; 'custom' by default. */
  readonly type?: string;
}

/**
 * The attacker's and the campaign's handle on a running channel. The broker's HTTP control API
 * exposes the same operations; the in-process network hands this object out directly.
 */
export interface ChannelControl {
  links(): LinkInfo[];
  presets(): Readonly<Record<string, LinkProfile>>;
  /** Replaces a link's profile while frames flow; queued frames keep their place. Throws ProfileError. */
  setProfile(link: string, spec: ProfileSpec): LinkProfile;
  interceptorTypes(): { name: string; summary: string }[];
  /** Adds a registered interceptor by type name. Throws InterceptorConfigError naming the field. */
  addInterceptor(spec: InterceptorSpec): InterceptorInfo;
  addCustomInterceptor(interceptor: Interceptor | InterceptorFn, options?: CustomInterceptorOptions): InterceptorInfo;
  /** Removes an interceptor; frames it holds are released. False when unknown. */
  removeInterceptor(id: string): boolean;
  interceptors(): InterceptorInfo[];
  interceptor(id: string): InterceptorInfo | undefined;
  /** Removes every interceptor and restores every link's configured profile. */
  reset(): void;
  /** Sees every frame entering a link (node frames and injected ones); returns the unsubscriber. */
  tap(handler: TapHandler): () => void;
  /** Puts an attacker-made frame on the wire between from and to, as if from sent it now. */
  inject(frame: ForgedFrame): void;
  stats(): ChannelStats;
}

export class ChannelError extends Error {
  constructor(
    readonly code: 'UNKNOWN_LINK' | 'DUPLICATE_ID' | 'BAD_FRAME',
    message: string,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

interface Route {
  readonly link: LinkState;
  readonly direction: Direction;
}

interface Stage {
  readonly id: string;
  readonly type: string;
  readonly order: number;
  readonly match: Matcher;
  readonly test: FrameTest;
  readonly probability: number;
  readonly fire: Random;
  readonly config: unknown;
  readonly interceptor: Interceptor;
  readonly stats: InterceptorStats;
  readonly timers: Set<TimerHandle>;
  ctx: InterceptorContext;
  removed: boolean;
}

class LinkState {
  readonly name: string;
  readonly counters = { up: zeroCounters(), down: zeroCounters() };
  lastReported = { up: zeroCounters(), down: zeroCounters() };
  spec: ProfileSpec;
  profile: LinkProfile;
  media!: { up: Medium; down: Medium };
  private readonly randoms = new Map<string, Random>();
  private lossProcesses = new Map<string, LossProcess>();

  constructor(
    readonly id: LinkId,
    readonly members: readonly NodeId[],
    spec: ProfileSpec,
    presets: Readonly<Record<string, LinkProfile>>,
    private readonly random: Random,
  ) {
    this.name = linkName(id);
    this.spec = spec;
    this.profile = resolveProfile(spec, presets, `links.${this.name}`);
  }

  randomFor(direction: Direction, receiver: NodeId, purpose: 'loss' | 'jitter'): Random {
    const key = `${direction}/${receiver}/${purpose}`;
    let r = this.randoms.get(key);
    if (!r) this.randoms.set(key, (r = this.random.fork(`link/${this.name}/${key}`)));
    return r;
  }

  lossProcess(direction: Direction, receiver: NodeId): LossProcess {
    const key = `${direction}/${receiver}`;
    let p = this.lossProcesses.get(key);
    if (!p) this.lossProcesses.set(key, (p = createLossProcess(this.profile.loss, this.randomFor(direction, receiver, 'loss'))));
    return p;
  }

  setProfile(spec: ProfileSpec, profile: LinkProfile): void {
    this.spec = spec;
    this.profile = profile;
    // Loss state restarts under the new model; the random streams carry on.
    this.lossProcesses = new Map();
  }
}

/**
 * The channel core: topology, links, interceptor chains, taps, metrics. Hosts differ only in how
 * frames come in (offer) and go out (hooks.deliver): the in-process emulated network on any clock,
 * and the ZeroMQ broker on the real clock.
 */
export class Channel {
  readonly control: ChannelControl;
  readonly topology: Topology;
  readonly clock: Clock;
  private readonly links = new Map<string, LinkState>();
  private readonly routes = new Map<string, Route | null>();
  private readonly presets: Readonly<Record<string, LinkProfile>>;
  private readonly metrics: Metrics;
  private readonly random: Random;
  private readonly classify: FrameClassifier;
  private stages: Stage[] = [];
  private nextOrder = 0;
  private nextId = 0;
  private readonly taps = new Set<TapHandler>();
  private readonly rejected: Record<string, number> = {};
  private depth = 0;
  private closed = false;
  private ticker: TimerHandle | undefined;
  private readonly metricsIntervalMs: number;
  private readonly mediumEvents: MediumEvents;

  constructor(
    private readonly options: ChannelOptions,
    private readonly hooks: ChannelHooks,
  ) {
    this.topology = options.topology;
    this.clock = options.clock;
    this.random = options.random;
    this.classify = options.classify;
    this.metrics = options.metrics ?? NO_METRICS;
    this.presets = options.presets ?? PRESETS;
    this.metricsIntervalMs = options.metricsIntervalMs ?? 1000;
    this.mediumEvents = {
      started: (frame, queueDelayMs, airtimeMs) => {
        const c = this.linkOf(frame).counters[frame.direction];
        c.queueDelaySumMs += queueDelayMs;
        c.queueDelayCount++;
        c.busyMs += airtimeMs;
      },
      delivered: (frame, receiver) => this.delivered(frame, receiver),
      lost: (frame, _receiver, reason, jamOwner) => {
        const c = this.linkOf(frame).counters[frame.direction];
        if (reason === 'loss') c.dropsLoss++;
        else if (reason === 'queue') c.dropsQueue++;
        else {
          c.dropsAttack++;
          const owner = this.stages.find((s) => s.id === jamOwner);
          if (owner) owner.stats.dropped++;
        }
        frame.sink?.dropped();
      },
    };
    for (const dc of this.topology.dcs) {
      this.addLink({ kind: 'wan', dc: dc.id }, [this.topology.hes, dc.id]);
      this.addLink({ kind: 'plc', dc: dc.id }, [dc.id, ...dc.tns]);
    }
    this.control = this.createControl();
  }

  /** A node hands a frame to the wire. Never throws: refusals are counted. */
  offer(from: NodeId, to: Destination, bytes: Uint8Array, sentAt = this.clock.now(), sink?: FrameSink, attack?: string): void {
    this.depth++;
    try {
      if (this.closed) return this.reject('closed', from);
      if (!(bytes instanceof Uint8Array)) return this.reject('malformed-envelope', from);
      const route = this.admit(from, to, bytes);
      if (!route) return;
      const frame: WireFrame = {
        link: route.link.id,
        linkName: route.link.name,
        direction: route.direction,
        from,
        to,
        bytes,
        className: this.classify(bytes),
        sentAt,
        ...(sink ? { sink } : {}),
        ...(attack ? { attack } : {}),
      };
      this.enter(frame, route.link, undefined);
      this.pass(frame, -Infinity);
    } finally {
      this.depth--;
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

  /** Stops timers; emits the last metrics sample. Frames in flight are discarded. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.cancel();
    this.ticker = undefined;
    this.report();
    // Media first: frames that stopping interceptors release have nowhere left to go.
    for (const link of this.links.values()) {
      link.media.up.close();
      link.media.down.close();
    }
    for (const s of [...this.stages]) this.removeStage(s);
  }

  routeBetween(from: NodeId, to: Destination): { link: string; direction: Direction } | undefined {
    const r = this.route(from, to);
    return r && { link: r.link.name, direction: r.direction };
  }

  private route(from: NodeId, to: Destination): Route | undefined {
    const key = `${from}>${to}`;
    let r = this.routes.get(key);
    if (r === undefined) {
      r = null;
      if (to === SEGMENT_BROADCAST) {
        if (this.topology.roleOf(from) === 'dc') r = { link: this.links.get(`plc:${from}`)!, direction: 'down' };
      } else {
        const hop = this.topology.linkBetween(from, to);
        if (hop) r = { link: this.links.get(linkName(hop.link))!, direction: hop.direction };
      }
      // Only known pairs are cached: the key space of refused pairs is what an attacker chooses.
      if (r) this.routes.set(key, r);
    }
    return r ?? undefined;
  }

  /** The route of a frame the link takes: a neighbour's, within the link's maxFrameBytes. Refusals are counted. */
  private admit(from: NodeId, to: Destination, bytes: Uint8Array): Route | undefined {
    const route = this.route(from, to);
    if (!route) this.reject('not-neighbour', from);
    else if (bytes.length > route.link.profile.maxFrameBytes) this.reject('oversize', from);
    else return route;
    return undefined;
  }

  private addLink(id: LinkId, members: NodeId[]): void {
    const spec = this.options.profileFor?.(id) ?? {};
    const name = linkName(id);
    const link = new LinkState(id, members, spec, this.presets, this.random);
    this.links.set(name, link);
    this.buildMedia(link);
  }

  private buildMedia(link: LinkState): void {
    const env = (): MediumEnv => ({
      profile: () => link.profile,
      lossProcess: (d, r) => link.lossProcess(d, r),
      jitterRandom: (d, r) => link.randomFor(d, r, 'jitter'),
      receivers: (f) => (f.to === SEGMENT_BROADCAST ? this.topology.tnsOf(f.from) : [f.to]),
      events: this.mediumEvents,
    });
    if (link.profile.duplex === 'half') {
      const shared = new Medium(this.clock, env());
      link.media = { up: shared, down: shared };
    } else {
      link.media = { up: new Medium(this.clock, env()), down: new Medium(this.clock, env()) };
    }
  }

  private linkOf(frame: WireFrame): LinkState {
    return this.links.get(frame.linkName)!;
  }

  /** Counts a frame handed to a link and shows it to the taps. */
  private enter(frame: WireFrame, link: LinkState, injectedBy: string | undefined): void {
    const c = link.counters[frame.direction];
    c.framesOffered++;
    c.bytesOffered += frame.bytes.length;
    this.armTicker();
    if (this.taps.size === 0) return;
    const event: TapEvent = {
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
    };
    for (const tap of this.taps) {
      try {
        tap(event);
      } catch {
        // A faulty tap must not take the wire down.
      }
    }
  }

  /** Runs the frame through the interceptors ordered after `afterOrder`, then onto the medium. */
  private pass(frame: WireFrame, afterOrder: number): void {
    for (const s of this.stages) {
      if (s.order <= afterOrder || s.id === frame.origin) continue;
      if (!s.test(frame)) continue;
      s.stats.matched++;
      if (s.probability < 1 && !s.fire.chance(s.probability)) continue;
      s.stats.fired++;
      try {
        s.interceptor.onFrame(frame, s.ctx);
      } catch {
        // A broken interceptor passes the frame on rather than silently eating it.
        this.pass(frame, s.order);
      }
      return;
    }
    const link = this.linkOf(frame);
    link.media[frame.direction].enqueue(frame);
  }

  private delivered(frame: WireFrame, receiver: NodeId): void {
    const c = this.linkOf(frame).counters[frame.direction];
    c.framesDelivered++;
    c.bytesDelivered += frame.bytes.length;
    const received: ReceivedFrame = {
      frame: frame.bytes,
      from: frame.from,
      sentAt: frame.sentAt,
      ...(frame.attack ? { attack: frame.attack } : {}),
    };
    if (frame.sink) {
      frame.sink.deliver(received);
      return;
    }
    if (!this.hooks.deliver(receiver, received, this.depth > 0) && frame.to !== SEGMENT_BROADCAST)
      this.reject('receiver-absent', frame.from);
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
      this.pass(frame, afterOrder);
      return true;
    } finally {
      this.depth--;
    }
  }

  /** A frame an interceptor forwards may have been re-addressed: it then travels the link of its new addressees. */
  /** A frame an interceptor passes on (re-addressed, altered) must fit its link like any other. */
  private reroute(frame: WireFrame): WireFrame | undefined {
    const route = this.admit(frame.from, frame.to, frame.bytes);
    if (!route) return undefined;
    if (route.link.name === frame.linkName && route.direction === frame.direction) return frame;
    return { ...frame, link: route.link.id, linkName: route.link.name, direction: route.direction };
  }

  private contextFor(stage: Stage): InterceptorContext {
    const stats = stage.stats;
    const ctx: InterceptorContext = {
      id: stage.id,
      random: this.random.fork(`interceptor/${stage.id}`),
      now: () => this.clock.now(),
      forward: (frame) => {
        const f = this.reroute(frame);
        if (!f) return;
        stats.forwarded++;
        // a frame an attack acted on (held, re-addressed, altered, let through) carries its label
        this.pass(f.attack ? f : { ...f, attack: stage.id }, stage.order);
      },
      tamper: (frame, bytes) => {
        stats.tampered++;
        ctx.forward({ ...frame, bytes, className: this.classify(bytes) });
      },
      drop: (frame) => {
        stats.dropped++;
        this.linkOf(frame).counters[frame.direction].dropsAttack++;
        frame.sink?.dropped();
      },
      inject: (forged) => {
        if (this.injectFrame(forged, stage.order, stage.id)) stats.injected++;
      },
      schedule: (delayMs, fn) => {
        const handle = this.clock.setTimer(delayMs, () => {
          stage.timers.delete(handle);
          try {
            fn();
          } catch {
            // Same rule as onFrame: an interceptor's fault stays inside it.
          }
        });
        stage.timers.add(handle);
        return {
          cancel: () => {
            stage.timers.delete(handle);
            handle.cancel();
          },
        };
      },
      jam: (durationMs) => {
        for (const link of this.links.values()) {
          const media = new Set<Medium>();
          for (const d of ['up', 'down'] as const) if (matcherCovers(stage.match, link.id, link.name, d)) media.add(link.media[d]);
          for (const m of media) m.jam(durationMs, stage.id);
          if (media.size > 0) this.armTicker();
        }
      },
    };
    return ctx;
  }

  private addStage(
    interceptor: Interceptor,
    type: string,
    config: unknown,
    options: { id?: string | undefined; match?: Matcher | undefined; probability?: number | undefined },
  ): InterceptorInfo {
    const id = options.id ?? `${type}-${++this.nextId}`;
    if (this.stages.some((s) => s.id === id)) throw new ChannelError('DUPLICATE_ID', `id: interceptor "${id}" already exists`);
    const match = options.match ?? {};
    const probability = options.probability ?? 1;
    if (!(probability >= 0 && probability <= 1))
      throw new InterceptorConfigError(`probability: expected a number from 0 to 1, got ${String(probability)}`);
    const stage = {
      id,
      type,
      order: this.nextOrder++,
      match,
      test: compileMatcher(match),
      probability,
      fire: this.random.fork(`interceptor/${id}/fire`),
      config,
      interceptor,
      stats: { matched: 0, fired: 0, forwarded: 0, dropped: 0, injected: 0, tampered: 0 },
      timers: new Set<TimerHandle>(),
      removed: false,
    } as Stage;
    stage.ctx = this.contextFor(stage);
    this.stages.push(stage);
    if (isStarting(interceptor)) interceptor.start(stage.ctx);
    return this.info(stage);
  }

  private removeStage(stage: Stage): void {
    if (stage.removed) return;
    stage.removed = true;
    this.stages = this.stages.filter((s) => s !== stage);
    if (isStopping(stage.interceptor)) {
      try {
        stage.interceptor.stop(stage.ctx);
      } catch {
        // Removal must succeed even if the interceptor's cleanup fails.
      }
    }
    for (const t of stage.timers) t.cancel();
    stage.timers.clear();
  }

  private info(s: Stage): InterceptorInfo {
    return { id: s.id, type: s.type, match: s.match, probability: s.probability, config: s.config, stats: { ...s.stats } };
  }

  private createControl(): ChannelControl {
    const linkInfo = (l: LinkState): LinkInfo => ({
      name: l.name,
      kind: l.id.kind,
      dc: l.id.dc,
      members: l.members,
      spec: l.spec,
      profile: l.profile,
    });
    const findLink = (name: string): LinkState => {
      const l = this.links.get(name);
      if (!l) throw new ChannelError('UNKNOWN_LINK', `link: unknown link "${name}" (expected one of ${[...this.links.keys()].join(', ')})`);
      return l;
    };
    const setProfile = (l: LinkState, spec: ProfileSpec): LinkProfile => {
      const profile = resolveProfile(spec, this.presets, `links.${l.name}`);
      const duplexChanged = profile.duplex !== l.profile.duplex;
      l.setProfile(spec, profile);
      // Media are rebuilt only when their number changes; the old ones finish what they hold.
      if (duplexChanged) this.buildMedia(l);
      return profile;
    };
    return {
      links: () => [...this.links.values()].map(linkInfo),
      presets: () => this.presets,
      setProfile: (name, spec) => setProfile(findLink(name), spec),
      interceptorTypes: () => interceptorTypes().map((t) => ({ name: t.name, summary: t.summary })),
      addInterceptor: (spec) => {
        const parsed = interceptorSpecSchema.safeParse(spec);
        if (!parsed.success) throw new InterceptorConfigError(describeZodIssues(parsed.error));
        const { interceptor, config } = createInterceptor(parsed.data.type, parsed.data.config);
        return this.addStage(interceptor, parsed.data.type, config, parsed.data);
      },
      addCustomInterceptor: (impl, options = {}) => {
        const interceptor: Interceptor = typeof impl === 'function' ? { onFrame: impl } : impl;
        return this.addStage(interceptor, options.type ?? 'custom', undefined, options);
      },
      removeInterceptor: (id) => {
        const s = this.stages.find((x) => x.id === id);
        if (!s) return false;
        this.removeStage(s);
        return true;
      },
      interceptors: () => this.stages.map((s) => this.info(s)),
      interceptor: (id) => {
        const s = this.stages.find((x) => x.id === id);
        return s && this.info(s);
      },
      reset: () => {
        for (const s of [...this.stages]) this.removeStage(s);
        for (const l of this.links.values()) setProfile(l, this.options.profileFor?.(l.id) ?? {});
      },
      tap: (handler) => {
        this.taps.add(handler);
        return () => this.taps.delete(handler);
      },
      inject: (frame) => {
        this.injectFrame(frame, Infinity, undefined);
      },
      stats: () => {
        const links: ChannelStats['links'] = {};
        for (const l of this.links.values()) links[l.name] = { up: { ...l.counters.up }, down: { ...l.counters.down } };
        return { links, rejected: { ...this.rejected } };
      },
    };
  }

  /**
   * The `channel` measurement ticks only while something happens, so a virtual clock's run()
   * still ends when the traffic does.
   */
  private armTicker(): void {
    if (this.ticker || this.closed || this.metricsIntervalMs <= 0 || this.metrics === NO_METRICS) return;
    this.ticker = this.clock.setTimer(this.metricsIntervalMs, () => {
      this.ticker = undefined;
      if (this.report()) this.armTicker();
    });
  }

  /** Emits one `channel` sample per link direction that saw activity; true if any did. */
  private report(): boolean {
    let any = false;
    for (const link of this.links.values()) {
      for (const direction of ['up', 'down'] as const) {
        const now = link.counters[direction];
        const d = counterDelta(now, link.lastReported[direction]);
        link.lastReported[direction] = { ...now };
        if (!hasActivity(d)) continue;
        any = true;
        this.metrics.emit(
          'channel',
          {
            frames_offered: d.framesOffered,
            bytes_offered: d.bytesOffered,
            frames_delivered: d.framesDelivered,
            bytes_delivered: d.bytesDelivered,
            drops_loss: d.dropsLoss,
            drops_queue: d.dropsQueue,
            drops_attack: d.dropsAttack,
            queue_delay_ms: d.queueDelayCount > 0 ? d.queueDelaySumMs / d.queueDelayCount : 0,
            utilization: Math.min(1, d.busyMs / this.metricsIntervalMs),
          },
          { link: link.name, segment: link.id.dc, direction, kind: link.id.kind },
        );
      }
    }
    return any;
  }
}
