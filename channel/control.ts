import type { NodeId } from '../core/transport';
import type { DirectionCounters } from './counters';
import type { WireFrame } from './frame';
import {
  compileMatcher,
  createInterceptor,
  interceptorSpecSchema,
  interceptorTypes,
  InterceptorConfigError,
  LIMITS,
  type ForgedFrame,
  type Interceptor,
  type InterceptorContext,
  type InterceptorInfo,
  type InterceptorSpec,
  type Matcher,
} from './interceptor';
import './interceptors';
import type { InterceptorChain } from './interceptor-chain';
import type { LinkState, Links } from './links';
import { describeZodIssues } from '../core/config';
import { deepMerge, type LinkProfile, type ProfileSpec } from './profile';
import type { TapHandler, Taps } from './taps';

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
 * (control-http.ts) exposes the same operations; the in-process network hands this object out directly.
 */
export interface ChannelControl {
  links(): LinkInfo[];
  presets(): Readonly<Record<string, LinkProfile>>;
  /**
   * Changes a link's profile while frames flow; queued frames keep their place. Throws ProfileError.
   * A spec without a preset refines the link's present spec field by field (as an override in a
   * config file refines its preset); a spec naming a preset replaces it.
   */
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
  /**
   * Sees every frame entering a link (node frames and injected ones), or with `match` those it
   * selects; returns the unsubscriber. A remote control (bench/attack/remote-control.ts) applies
   * the matcher where the wire is, so only those frames travel to the attacker.
   */
  tap(handler: TapHandler, match?: Matcher): () => void;
  /** Puts an attacker-made frame on the wire between from and to, as if from sent it now. */
  inject(frame: ForgedFrame): void;
  stats(): ChannelStats;
}

export class ChannelError extends Error {
  constructor(
    readonly code: 'UNKNOWN_LINK' | 'DUPLICATE_ID' | 'BAD_FRAME' | 'TOO_MANY',
    message: string,
  ) {
    super(message);
    this.name = 'ChannelError';
  }
}

/** The parts of a channel its control object works on. */
export interface ControlledChannel {
  readonly links: Links;
  readonly chain: InterceptorChain;
  readonly taps: Taps;
  readonly presets: Readonly<Record<string, LinkProfile>>;
  /** Refusals so far, by reason (read when stats are asked for). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Puts a control API injection on the wire, past every interceptor. */
  inject(frame: ForgedFrame): void;
}

/** The control object of a channel: checks what a caller asks, then acts on the channel's parts. */
export function createChannelControl(channel: ControlledChannel): ChannelControl {
  const { links, chain, taps } = channel;
  const linkInfo = (l: LinkState): LinkInfo => ({
    name: l.name,
    kind: l.id.kind,
    dc: l.id.dc,
    members: l.members,
    spec: l.spec,
    profile: l.profile,
  });
  const findLink = (name: string): LinkState => {
    const l = links.get(name);
    if (!l) throw new ChannelError('UNKNOWN_LINK', `link: unknown link "${name}" (expected one of ${links.names().join(', ')})`);
    return l;
  };
  const addStage = (
    interceptor: Interceptor,
    type: string,
    config: unknown,
    options: { id?: string | undefined; match?: Matcher | undefined; probability?: number | undefined },
  ): InterceptorInfo => {
    if (chain.list().length >= LIMITS.interceptors)
      throw new ChannelError('TOO_MANY', `interceptors: at most ${LIMITS.interceptors} at a time (remove one first)`);
    const id = options.id ?? chain.newId(type);
    if (chain.has(id)) throw new ChannelError('DUPLICATE_ID', `id: interceptor "${id}" already exists`);
    return chain.add(interceptor, type, config, { ...options, id });
  };
  return {
    links: () => [...links.all()].map(linkInfo),
    presets: () => channel.presets,
    setProfile: (name, spec) => {
      const link = findLink(name);
      const refined = spec.preset === undefined ? (deepMerge(link.spec, spec) as ProfileSpec) : spec;
      return links.setProfile(link, refined);
    },
    interceptorTypes: () => interceptorTypes().map((t) => ({ name: t.name, summary: t.summary })),
    addInterceptor: (spec) => {
      const parsed = interceptorSpecSchema.safeParse(spec);
      if (!parsed.success) throw new InterceptorConfigError(describeZodIssues(parsed.error));
      const { interceptor, config } = createInterceptor(parsed.data.type, parsed.data.config);
      return addStage(interceptor, parsed.data.type, config, parsed.data);
    },
    addCustomInterceptor: (impl, options = {}) => {
      const interceptor: Interceptor = typeof impl === 'function' ? { onFrame: impl } : impl;
      return addStage(interceptor, options.type ?? 'custom', undefined, options);
    },
    removeInterceptor: (id) => chain.remove(id),
    interceptors: () => chain.list(),
    interceptor: (id) => chain.info(id),
    reset: () => {
      chain.clear();
      for (const l of links.all()) links.setProfile(l, links.configured(l));
    },
    tap: (handler, match) => {
      if (!match) return taps.add(handler);
      const test = compileMatcher(match);
      return taps.add((e) => {
        if (test({ ...e, linkName: e.link, link: { kind: e.kind, dc: e.link.slice(e.link.indexOf(':') + 1) } })) handler(e);
      });
    },
    inject: (frame) => channel.inject(frame),
    stats: () => {
      const out: ChannelStats['links'] = {};
      for (const l of links.all()) out[l.name] = { up: { ...l.counters.up }, down: { ...l.counters.down } };
      return { links: out, rejected: { ...channel.rejected } };
    },
  };
}
