/**
 * A mode built from a scenario: the one place the bench turns a Scenario into the generic context
 * every mode is built from (nodes/mode.ts ModeContext), then builds the mode through the registry
 * (nodes/modes.ts). Nothing here names a mode: the mode's own settings come from the scenario's
 * section under its name, and, in a node host of a distributed bench, from the state it loaded.
 */
import { PRESETS } from '../../channel/presets';
import { resolveProfile, type ProfileSpec } from '../../channel/profile';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import { linkName, type LinkId, type Topology } from '../../core/topology';
import type { Network, NodeId } from '../../core/transport';
import type { TnBoard } from '../../nodes/boards/board';
import { computeModel, computeProfile } from '../../nodes/compute-profile';
import { cryptoBackend } from '../../nodes/crypto';
import { seededRandomSource } from '../../nodes/crypto/seeded';
import type { CryptoOpCounter } from '../../nodes/crypto/op-counter';
import type { Identity } from '../../nodes/lean/identity';
import type { BenchMode, CryptoBackends, Operator } from '../../nodes/mode';
import { createMode, tnMeters, type ModeName, type OptionsOf } from '../../nodes/modes';
import type { ProtocolObserver } from '../../nodes/oracle/goal-oracle';
import type { NodeStore } from '../../nodes/store/node-store';
import type { Scenario } from '../scenario/schema';

export interface ScenarioModeContext<N extends ModeName = ModeName> {
  readonly scenario: Scenario;
  readonly topology: Topology;
  readonly clock: Clock;
  /** The in-process emulated network, or the broker's (ZeroMQ) in a node host. */
  readonly network: Network;
  readonly metrics: Metrics;
  /** The run's seeded generator: the meters of board-less TNs come from it, the mode's own stream is forked by name. */
  readonly random: Random;
  readonly boards: ReadonlyMap<NodeId, TnBoard>;
  /** The goal oracle (both modes); campaigns need it. A node host relays to the parent's (host-ops.ts). */
  readonly oracle?: ProtocolObserver;
  /** Default: a fresh in-memory store per unit. */
  readonly storeFor?: (node: NodeId, generation: number) => NodeStore;
  /** Counts the nodes' crypto operations (lean mode's explicit crypto). */
  readonly cryptoOps?: CryptoOpCounter;
  /** The nodes this process runs (default: all; a node host runs some). */
  readonly local?: (node: NodeId) => boolean;
  /** What a node host loaded from its state directory (ModeDefinition.loadHostState). */
  readonly hostState?: Partial<OptionsOf<N>>;
  /** The stream of the run's seed the nodes' keys and nonces come from (default: the mode's name); each process of a distributed run has its own. */
  readonly cryptoLabel?: string;
  /** How long bootstrap waits for the nodes (default: the mode's own). */
  readonly bootstrapTimeoutMs?: number;
  /** A node host's channel to the operator and the HES in other processes, for replacements (ModeContext.operator). */
  readonly operator?: Operator;
}

/** What the runner and campaigns may ask of a mode beyond the contract. */
export interface RunnableMode extends BenchMode {
  /** Keys of a node, for campaigns that hand an attacker a compromised node (lean's protocol keys). */
  keysOf?(node: NodeId): Identity;
  /** In the HES's process: admits a replacement unit's credential registered from another (ModeContext.operator). */
  admit?(node: NodeId, credential: unknown): void;
  /** The TNs of a DC's segment in this process enrol again, to learn a replaced DC's new credential. */
  reenrol?(dc: NodeId): Promise<void>;
}

/** A link's profile spec as the scenario sets it: the kind's spec with the link's overrides. */
export function scenarioProfile(scenario: Scenario, link: LinkId): ProfileSpec {
  return { ...(link.kind === 'plc' ? scenario.channel.plc : scenario.channel.wan), ...scenario.channel.overrides?.[linkName(link)] };
}

/**
 * The scenario's crypto backend per role, counted where the run counts crypto operations. With
 * seeded randomness each role of each mode draws from its own stream of the run's seed (`label`:
 * the mode, or the process's part of it), so a run's keys and nonces repeat.
 */
export function scenarioCrypto(scenario: Scenario, cryptoOps?: CryptoOpCounter, label = ''): CryptoBackends {
  const backend = (role: 'hes' | 'dc' | 'tn') => {
    const seeded = scenario.crypto.randomness === 'seeded';
    const b = cryptoBackend(scenario.crypto[role], seeded ? seededRandomSource(scenario.seed, `${label}/${role}`) : undefined);
    return cryptoOps ? cryptoOps.wrap(b, role) : b;
  };
  return { hes: backend('hes'), dc: backend('dc'), tn: backend('tn') };
}

export function createScenarioMode<N extends ModeName>(name: N, ctx: ScenarioModeContext<N>): RunnableMode {
  const { scenario, clock } = ctx;
  const plc = (dc: NodeId) => resolveProfile(scenarioProfile(scenario, { kind: 'plc', dc }), PRESETS);
  const computeFor = (tn: NodeId) => {
    const preset = scenario.compute.tns[tn] ?? scenario.compute.default;
    return preset === 'none' ? undefined : computeModel(computeProfile(preset));
  };
  const options = { ...(scenario[name] as OptionsOf<N>), ...ctx.hostState } as OptionsOf<N>;
  return createMode(name, {
    topology: ctx.topology,
    clock,
    network: ctx.network,
    metrics: ctx.metrics,
    random: ctx.random.fork(name),
    meterFor: tnMeters(ctx.boards, clock, ctx.random),
    relayFor: (tn) => ctx.boards.get(tn),
    computeFor,
    crypto: scenarioCrypto(scenario, ctx.cryptoOps, ctx.cryptoLabel ?? name),
    ...(ctx.oracle ? { observer: ctx.oracle } : {}),
    ...(ctx.storeFor ? { storeFor: ctx.storeFor } : {}),
    ...(ctx.local ? { local: ctx.local } : {}),
    plc,
    ...(ctx.bootstrapTimeoutMs ? { bootstrapTimeoutMs: ctx.bootstrapTimeoutMs } : {}),
    ...(ctx.operator ? { operator: ctx.operator } : {}),
    options,
  });
}
