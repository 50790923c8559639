import type { Clock } from '../core/clock';
import type { Random } from '../core/random';
import { SEGMENT_BROADCAST, type Destination, type NodeId } from '../core/transport';
import { linkName, type Direction, type LinkId, type Topology } from '../core/topology';
import { zeroCounters } from './counters';
import type { WireFrame } from './frame';
import { matcherCovers, type Matcher } from './interceptor';
import { createLossProcess, type LossProcess } from './loss';
import { Medium, type MediumEnv, type MediumEvents } from './medium';
import { resolveProfile, type LinkProfile, type ProfileSpec } from './profile';

/** One link of the topology: its profile, its media, its counters and its seeded streams. */
export class LinkState {
  readonly name: string;
  readonly counters = { up: zeroCounters(), down: zeroCounters() };
  spec: ProfileSpec;
  profile: LinkProfile;
  media!: { up: Medium; down: Medium };
  /** By purpose, direction and receiver: maps, not a key string built for every frame. */
  private readonly randoms = {
    loss: { up: new Map<NodeId, Random>(), down: new Map<NodeId, Random>() },
    jitter: { up: new Map<NodeId, Random>(), down: new Map<NodeId, Random>() },
  };
  private lossProcesses = { up: new Map<NodeId, LossProcess>(), down: new Map<NodeId, LossProcess>() };

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
    const randoms = this.randoms[purpose][direction];
    let r = randoms.get(receiver);
    if (!r) randoms.set(receiver, (r = this.random.fork(`link/${this.name}/${direction}/${receiver}/${purpose}`)));
    return r;
  }

  lossProcess(direction: Direction, receiver: NodeId): LossProcess {
    const processes = this.lossProcesses[direction];
    let p = processes.get(receiver);
    if (!p) processes.set(receiver, (p = createLossProcess(this.profile.loss, this.randomFor(direction, receiver, 'loss'))));
    return p;
  }

  setProfile(spec: ProfileSpec, profile: LinkProfile): void {
    this.spec = spec;
    this.profile = profile;
    // Loss state restarts under the new model; the random streams carry on.
    this.lossProcesses = { up: new Map(), down: new Map() };
  }
}

/** The link and direction a frame between two nodes takes. */
export interface Route {
  readonly link: LinkState;
  readonly direction: Direction;
}

/** A sender's known routes: the first one inline, since most nodes (a TN) only ever send to one addressee. */
interface KnownRoutes {
  readonly to: Destination;
  readonly route: Route;
  others?: Map<Destination, Route>;
}

/** Why a link does not take a frame. */
export type Refusal = 'not-neighbour' | 'oversize';

export interface LinksOptions {
  readonly topology: Topology;
  readonly clock: Clock;
  readonly random: Random;
  readonly presets: Readonly<Record<string, LinkProfile>>;
  /** The configured profile of each link; pass-through when it gives none. */
  readonly profileFor?: ((link: LinkId) => ProfileSpec | undefined) | undefined;
  /** What the media report: frames starting, delivered, shipped and lost. */
  readonly events: MediumEvents;
  /** Whether a receiver is hosted here (a partitioned run, issue 13); absent: every node is. */
  readonly isLocal?: ((node: NodeId) => boolean) | undefined;
}

/**
 * The links of a topology and how frames find them: per DC one WAN link (HES and DC) and one PLC
 * segment (the DC and its TNs), the route between two nodes, the admission of a frame, and link
 * profiles that change while frames flow.
 */
export class Links {
  private readonly byName = new Map<string, LinkState>();
  /**
   * By sender: looked up for every frame, without a key string built for each. Only known pairs
   * are cached: the key space of refused pairs is what an attacker chooses.
   */
  private readonly routes = new Map<NodeId, KnownRoutes>();

  constructor(private readonly options: LinksOptions) {
    for (const dc of options.topology.dcs) {
      this.add({ kind: 'wan', dc: dc.id }, [options.topology.hes, dc.id]);
      this.add({ kind: 'plc', dc: dc.id }, [dc.id, ...dc.tns]);
    }
  }

  get(name: string): LinkState | undefined {
    return this.byName.get(name);
  }

  all(): IterableIterator<LinkState> {
    return this.byName.values();
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The link a frame is on. */
  of(frame: Pick<WireFrame, 'linkName'>): LinkState {
    return this.byName.get(frame.linkName)!;
  }

  route(from: NodeId, to: Destination): Route | undefined {
    const known = this.routes.get(from);
    let r = known && (known.to === to ? known.route : known.others?.get(to));
    if (r) return r;
    const { topology } = this.options;
    if (to === SEGMENT_BROADCAST) {
      if (topology.roleOf(from) === 'dc') r = { link: this.byName.get(`plc:${from}`)!, direction: 'down' };
    } else {
      const hop = topology.linkBetween(from, to);
      if (hop) r = { link: this.byName.get(linkName(hop.link))!, direction: hop.direction };
    }
    if (r) {
      if (known) (known.others ??= new Map()).set(to, r);
      else this.routes.set(from, { to, route: r });
    }
    return r;
  }

  /** The route of a frame the link takes: a neighbour's, within the link's maxFrameBytes. */
  admit(from: NodeId, to: Destination, bytes: Uint8Array): Route | Refusal {
    const route = this.route(from, to);
    if (!route) return 'not-neighbour';
    if (bytes.length > route.link.profile.maxFrameBytes) return 'oversize';
    return route;
  }

  /** What the configuration asked for a link: what a reset restores. */
  configured(link: LinkState): ProfileSpec {
    return this.options.profileFor?.(link.id) ?? {};
  }

  /** Replaces a link's profile; queued frames keep their place. Throws ProfileError. */
  setProfile(link: LinkState, spec: ProfileSpec): LinkProfile {
    const profile = resolveProfile(spec, this.options.presets, `links.${link.name}`);
    const duplexChanged = profile.duplex !== link.profile.duplex;
    link.setProfile(spec, profile);
    // Media are rebuilt only when their number changes; the old ones finish what they hold.
    if (duplexChanged) this.buildMedia(link);
    return profile;
  }

  /** Occupies the media of every link direction the matcher covers; false when it covers none. */
  jam(match: Matcher, durationMs: number, owner: string): boolean {
    let any = false;
    for (const link of this.byName.values()) {
      const media = new Set<Medium>();
      for (const d of ['up', 'down'] as const) if (matcherCovers(match, link.id, link.name, d)) media.add(link.media[d]);
      for (const m of media) m.jam(durationMs, owner);
      any ||= media.size > 0;
    }
    return any;
  }

  /** Discards what the media hold and stops their timers. */
  close(): void {
    for (const link of this.byName.values()) {
      link.media.up.close();
      link.media.down.close();
    }
  }

  private add(id: LinkId, members: NodeId[]): void {
    const { presets, random } = this.options;
    const link = new LinkState(id, members, this.options.profileFor?.(id) ?? {}, presets, random);
    this.byName.set(link.name, link);
    this.buildMedia(link);
  }

  private buildMedia(link: LinkState): void {
    const { clock, topology, events, isLocal } = this.options;
    const env = (): MediumEnv => ({
      profile: () => link.profile,
      lossProcess: (d, r) => link.lossProcess(d, r),
      jitterRandom: (d, r) => link.randomFor(d, r, 'jitter'),
      receivers: (f) => (f.to === SEGMENT_BROADCAST ? topology.tnsOf(f.from) : [f.to]),
      isLocal,
      events,
    });
    if (link.profile.duplex === 'half') {
      const shared = new Medium(clock, env());
      link.media = { up: shared, down: shared };
    } else {
      link.media = { up: new Medium(clock, env()), down: new Medium(clock, env()) };
    }
  }
}
