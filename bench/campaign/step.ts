/**
 * A campaign step kind, in the shape of the interceptors (channel/interceptor.ts): one file per
 * kind under steps/, registered by the name a YAML step uses as its key, with
 *   - its config schema (zod fills the defaults; an error names the field),
 *   - its check against the topology and the steps before it (a reference to nothing is refused
 *     on load, not discovered in the middle of a run),
 *   - its execution. A step that returns a promise (a firmware rollout, a replacement, a power
 *     restoration) is awaited by the campaign runner, and a failure, thrown or rejected, is
 *     reported with its campaign and step and fails the run.
 */
import type { BackendName } from '../../nodes/crypto/backend';
import { z } from 'zod';
import type { ChannelControl } from '../../channel/control';
import type { Matcher } from '../../channel/interceptor';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';
import type { ModeName } from '../../nodes/modes';
import type { GoalOracle } from '../../nodes/oracle/goal-oracle';
import type { Attacker, Recording } from '../attack/attacker';
import type { RunnableMode } from '../runner/mode-factory';
import { nodeId } from '../scenario/schema';
import type { CampaignGoal } from './goals';

/** What the campaigns of one mode's run act on. */
export interface CampaignContext {
  readonly mode: RunnableMode;
  readonly modeName: ModeName;
  /** The wire's control: the in-process network's, or the broker's attack port (bench/attack/remote-control.ts). */
  readonly network: { readonly control: ChannelControl };
  readonly clock: Clock;
  readonly oracle: GoalOracle;
  readonly metrics: Metrics;
  readonly topology: Topology;
  /** The run's seeded generator; campaigns fork their own streams. */
  readonly random: Random;
  /** The attackers' crypto backend: the TNs' (an ideal-crypto run's attacker signs the ideal way), else node. */
  readonly crypto?: BackendName;
  readonly log?: (line: string) => void;
  /**
   * Multiplies every step's time and a module's api.at / api.sleep waits (the scenario's
   * campaignTimeScale; default 1). What a step does over time keeps its own length.
   */
  readonly timeScale?: number;
}

/** Which step of which campaign: `step` is the index in the file's `steps`, null for a TypeScript module. */
export interface StepAttribution {
  readonly campaign: string;
  readonly step: number | null;
  readonly kind: string;
}

/** A step that threw or rejected, for the run's output and summary. */
export interface StepFailure extends StepAttribution {
  /** Run time (ms since bootstrap ended) when it failed. */
  readonly atMs: number;
  readonly error: string;
}

/** What a running campaign offers its steps: attackers per goal, interceptor tallies, awaited steps. */
export interface CampaignHost {
  attacker(campaign: string, goal: CampaignGoal): Attacker;
  trackInterceptor(id: string): void;
  /** Runs work now and awaits it; a failure is attributed to `step`. */
  runStep(step: StepAttribution, work: () => void | Promise<unknown>): void;
}

/** What a timeline's steps hand each other. */
export interface TimelineState {
  readonly recordings: Map<string, Recording>;
  /** A step's interceptor id -> the id it has on the channel (`<campaign>:<goal>:<id>`). */
  readonly interceptors: Map<string, string>;
  /** The timeline's seeded stream for attacker-made noise. */
  readonly random: Random;
}

/** One step at its run time. */
export interface StepRun {
  readonly campaign: string;
  readonly goal: CampaignGoal;
  /** The step's run time (ms since bootstrap ended). */
  readonly at: number;
  /** The attacker of the step's goal: everything it puts on the wire counts against that goal. */
  readonly attacker: Attacker;
  readonly context: CampaignContext;
  readonly timeline: TimelineState;
  readonly host: CampaignHost;
}

/** Names steps give things, for later steps to refer to. */
export type Defined = 'recording' | 'interceptor' | 'compromised';

/** A timeline's check, step by step in time order; fields are relative to the step's config. */
export interface TimelineCheck {
  readonly topology: Topology;
  /** A problem at `field` of the step's config ('' for the config itself, null for the step). */
  problem(field: string | null, message: string): void;
  /** `id` must be a node of the topology (of that role, if given). */
  node(id: NodeId, field: string, role?: 'dc' | 'tn' | 'hes'): void;
  /** A node, or "*" (every neighbour). */
  destination(id: string, field: string): void;
  /** Every link, class and node a matcher names must exist, or it would select nothing, silently. */
  matcher(m: Matcher | undefined, field: string): void;
  define(what: Defined, name: string): void;
  defined(what: Defined, name: string): boolean;
}

export interface StepKind<C = unknown> {
  /** The step's key in a YAML timeline. */
  readonly name: string;
  readonly summary: string;
  readonly config: z.ZodType<C>;
  check?(config: C, at: TimelineCheck): void;
  /** Why the step cannot act in this mode ("need lean-protocol keys"), or undefined when it can. */
  inapplicable?(config: C, mode: RunnableMode): string | undefined;
  run(config: C, step: StepRun): void | Promise<unknown>;
}

const registry = new Map<string, StepKind>();

export function registerStep<C>(kind: StepKind<C>): StepKind<C> {
  registry.set(kind.name, kind as StepKind);
  return kind;
}

export function stepKind(name: string): StepKind | undefined {
  return registry.get(name);
}

export function stepKinds(): StepKind[] {
  return [...registry.values()];
}

export const stepId = z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'expected 1 to 40 letters, digits or . _ -');
export const destination = z.union([nodeId, z.literal('*')]);
/** Who signs a forgery: the attacker's own keys, or a node it compromised in an earlier step. */
export const signer = z.union([z.literal('attacker'), nodeId]);

export function checkSigner(name: string, at: TimelineCheck): void {
  if (name !== 'attacker' && !at.defined('compromised', name)) at.problem(null, `signer "${name}" was not compromised by an earlier step`);
}

/** Signing with a compromised node's key needs that node's lean-protocol keys. */
export const needsKeysOf = (name: string, mode: RunnableMode): string | undefined =>
  name !== 'attacker' && !mode.keysOf ? 'need lean-protocol keys' : undefined;
