import { z } from 'zod';
import type { TimerHandle } from '../core/clock';
import type { Random } from '../core/random';
import type { Destination, NodeId } from '../core/transport';
import type { WireFrame } from './frame';
import { describeZodIssues } from '../core/config';
import type { Direction, LinkId } from '../core/topology';

/**
 * The attacker on the wire (toxiproxy's toxic). An interceptor sees each frame its matcher
 * selects on a link direction, in chain order, and decides its fate through the context:
 * forward it (as is or tampered), drop it, hold it and forward it later, or inject others.
 * A frame the interceptor does not forward goes nowhere. The framework, not the interceptor,
 * applies the matcher and the probability that it fires, and owns its seeded random stream.
 */
export interface Interceptor {
  onFrame(frame: WireFrame, ctx: InterceptorContext): void;
}

/** Optional ability: act when added (an injector's first frame, a jammer's first burst). */
export interface StartingInterceptor extends Interceptor {
  start(ctx: InterceptorContext): void;
}

/** Optional ability: release held frames when removed ("never drop data already read"). */
export interface StoppingInterceptor extends Interceptor {
  stop(ctx: InterceptorContext): void;
}

export const isStarting = (i: Interceptor): i is StartingInterceptor => typeof (i as Partial<StartingInterceptor>).start === 'function';
export const isStopping = (i: Interceptor): i is StoppingInterceptor => typeof (i as Partial<StoppingInterceptor>).stop === 'function';

/** An attacker-made frame: `from` is the claimed sender, `to` a neighbour of it or SEGMENT_BROADCAST. */
export interface ForgedFrame {
  readonly from: NodeId;
  readonly to: Destination;
  readonly bytes: Uint8Array;
  /** Attack label the frame carries to its receivers (default: the injecting interceptor's id, or 'control'). */
  readonly attack?: string;
}

export interface InterceptorContext {
  /** This interceptor's id. */
  readonly id: string;
  /** Seeded stream of this interceptor (forked from the run's seed by its id). */
  readonly random: Random;
  now(): number;
  /** Passes the frame on to the next matching interceptor, then the medium. */
  forward(frame: WireFrame): void;
  /** Forwards a copy carrying other bytes; counted as tampered. */
  tamper(frame: WireFrame, bytes: Uint8Array): void;
  /** Removes the frame from the wire; counted as dropped (drops_attack). */
  drop(frame: WireFrame): void;
  /** Puts an attacker-made frame on the link between from and to, as if from sent it now. Counted. */
  inject(frame: ForgedFrame): void;
  schedule(delayMs: number, fn: () => void): TimerHandle;
  /** Occupies the medium of every link this interceptor's matcher selects for durationMs. */
  jam(durationMs: number): void;
}

/** Selects frames: every given field must match (lists: any of). link is "plc:dc1", or a kind "plc"/"wan". */
export const matcherSchema = z
  .object({
    link: z.union([z.string(), z.array(z.string())]).optional(),
    direction: z.enum(['up', 'down']).optional(),
    from: z.union([z.string(), z.array(z.string())]).optional(),
    to: z.union([z.string(), z.array(z.string())]).optional(),
    class: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .strict();
export type Matcher = z.infer<typeof matcherSchema>;

const asSet = (v: string | readonly string[] | undefined): Set<string> | undefined =>
  v === undefined ? undefined : new Set(typeof v === 'string' ? [v] : v);

export type FrameTest = (f: Pick<WireFrame, 'linkName' | 'link' | 'direction' | 'from' | 'to' | 'className'>) => boolean;

export function compileMatcher(m: Matcher = {}): FrameTest {
  const links = asSet(m.link);
  const from = asSet(m.from);
  const to = asSet(m.to);
  const classes = asSet(m.class);
  const direction = m.direction;
  return (f) =>
    (!links || links.has(f.linkName) || links.has(f.link.kind)) &&
    (!direction || f.direction === direction) &&
    (!from || from.has(f.from)) &&
    (!to || to.has(f.to)) &&
    (!classes || classes.has(f.className));
}

/** Whether a matcher's link selector covers this link (both directions unless it names one). */
export function matcherCovers(m: Matcher, link: LinkId, name: string, direction: Direction): boolean {
  const links = asSet(m.link);
  return (!links || links.has(name) || links.has(link.kind)) && (!m.direction || m.direction === direction);
}

/**
 * What one client may ask of the wire (docs/EXTENDING.md: bound every count or size a config takes):
 * a control API request asking beyond these is refused with 400 naming the field, not obeyed.
 */
export const LIMITS = {
  /** Interceptors in one chain. */
  interceptors: 256,
  /** Frames one inject burst sends, jams one jammer makes. */
  count: 10_000,
  /** Copies a duplicate interceptor adds per frame, times a replay resends each frame. */
  copies: 100,
  /** Receivers one replay interceptor names. */
  receivers: 64,
  /** Frames a replay interceptor records, a reorder window holds. */
  held: 10_000,
  /** Bits one tamper flips per frame. */
  flipBits: 4096,
  /** Any delay, period or duration (one day). */
  ms: 86_400_000,
  /** Bytes of a forged frame (hex digits are twice as many). */
  frameBytes: 65_536,
} as const;

/** A duration or delay in ms, bounded (a timer beyond 2^31 ms would fire at once). */
export const boundedMs = z.number().min(0).max(LIMITS.ms);

/** A forged frame's bytes as hex, bounded. */
export const boundedHex = z
  .string()
  .max(2 * LIMITS.frameBytes, `expected at most ${LIMITS.frameBytes} bytes`)
  .regex(/^([0-9a-fA-F]{2})+$/, 'expected an even number of hex digits');

export class InterceptorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterceptorConfigError';
  }
}

/** A named interceptor type: its config schema (defaults filled by zod) and its factory. */
export interface InterceptorType<C = unknown> {
  readonly name: string;
  readonly summary: string;
  readonly config: z.ZodType<C>;
  create(config: C): Interceptor;
}

const registry = new Map<string, InterceptorType<unknown>>();

export function registerInterceptor<C>(type: InterceptorType<C>): InterceptorType<C> {
  registry.set(type.name, type as InterceptorType<unknown>);
  return type;
}

export function interceptorTypes(): InterceptorType<unknown>[] {
  return [...registry.values()];
}

/** Validates `config` for the named type and builds the interceptor; errors name the field. */
export function createInterceptor(type: string, config: unknown, where = 'config'): { interceptor: Interceptor; config: unknown } {
  const t = registry.get(type);
  if (!t) throw new InterceptorConfigError(`type: unknown interceptor "${type}" (expected one of ${[...registry.keys()].join(', ')})`);
  const parsed = t.config.safeParse(config ?? {});
  if (!parsed.success) throw new InterceptorConfigError(describeZodIssues(parsed.error, where));
  return { interceptor: t.create(parsed.data), config: parsed.data };
}

/** What an interceptor did, for campaign reports. */
export interface InterceptorStats {
  /** Frames its matcher selected. */
  matched: number;
  /** Frames it acted on (matched and its probability fired). */
  fired: number;
  forwarded: number;
  dropped: number;
  injected: number;
  tampered: number;
}

/** How a campaign or config asks for an interceptor. */
export const interceptorSpecSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected 1 to 64 letters, digits or . _ : -')
      .optional(),
    type: z.string(),
    match: matcherSchema.optional(),
    /** Chance that the interceptor acts on a matching frame; otherwise the frame passes by it. */
    probability: z.number().min(0).max(1).optional(),
    config: z.unknown().optional(),
  })
  .strict();
export type InterceptorSpec = z.infer<typeof interceptorSpecSchema>;

export interface InterceptorInfo {
  readonly id: string;
  readonly type: string;
  readonly match: Matcher;
  readonly probability: number;
  readonly config: unknown;
  readonly stats: Readonly<InterceptorStats>;
}
