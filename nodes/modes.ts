/**
 * The mode registry: every security architecture the bench compares, by name, and the one way to
 * build one (createMode). The name is the mode's name everywhere: the scenario's `modes:` list
 * and its options section, the `mode` tag of every sample, summary.json's `modes` key, --mode.
 *
 * A new mode is a folder nodes/<name>/ whose definition.ts exports a ModeDefinition
 * (nodes/mode.ts), plus its entry below.
 */
import type { Clock } from '../core/clock';
import type { Metrics } from '../core/metrics';
import { NO_METRICS } from '../core/metrics';
import { NO_AIRTIME } from '../core/phy';
import type { Random } from '../core/random';
import type { Topology } from '../core/topology';
import type { Network, NodeId } from '../core/transport';
import type { TnBoard } from './boards/board';
import { boardMeterSource } from './boards/meter-source';
import { CRYPTO_BACKENDS } from './crypto';
import { LEAN_MODE } from './lean/definition';
import { syntheticMeter } from './meter';
import type { BenchMode, MeterSource, ModeContext, ModeDefinition, PlcSegment } from './mode';
import { SMGW_TLS_MODE } from './smgw-tls/definition';
import { MemoryNodeStore } from './store/node-store';

export const MODES = {
  lean: LEAN_MODE,
  'smgw-tls': SMGW_TLS_MODE,
} as const;

export type ModeName = keyof typeof MODES;
export const MODE_NAMES = Object.keys(MODES) as [ModeName, ...ModeName[]];

/** What a mode of that name is once built (its own type, with what its tests reach for). */
export type ModeOf<N extends ModeName> = ReturnType<(typeof MODES)[N]['create']>;
/** The options a mode of that name takes (ModeContext.options). */
export type OptionsOf<N extends ModeName> = Parameters<(typeof MODES)[N]['create']>[0]['options'];

// every entry is a ModeDefinition: checked here, where a new entry is added
MODES satisfies { readonly [N in ModeName]: ModeDefinition<ModeOf<N>, OptionsOf<N>> };

export function modeDefinition<N extends ModeName>(name: N): (typeof MODES)[N] {
  const definition = MODES[name] as (typeof MODES)[N] | undefined;
  if (!definition) throw new Error(`mode "${String(name)}": not a mode (${MODE_NAMES.join(', ')})`);
  return definition;
}

/**
 * What createMode needs: the run's topology, clock, wire and seeded stream; everything else has
 * the defaults of a bench without a scenario (ModeSetup's fields say which).
 */
export interface ModeSetup<Options> {
  readonly topology: Topology;
  readonly clock: Clock;
  readonly network: Network;
  /** The mode's own seeded stream. */
  readonly random: Random;
  /** Default: none. */
  readonly metrics?: Metrics;
  /** TN boards: their relays, and their meters (default meters: tnMeters(boards, clock, random)). */
  readonly boards?: ReadonlyMap<NodeId, TnBoard>;
  readonly meterFor?: ModeContext<Options>['meterFor'];
  /** Default: the boards'. */
  readonly relayFor?: ModeContext<Options>['relayFor'];
  /** Default: no compute model (the crypto's own time only). */
  readonly computeFor?: ModeContext<Options>['computeFor'];
  /** Default: node:crypto for every role. */
  readonly crypto?: ModeContext<Options>['crypto'];
  readonly observer?: ModeContext<Options>['observer'];
  /** Default: a fresh in-memory store per unit. */
  readonly storeFor?: ModeContext<Options>['storeFor'];
  /** Default: every node runs here. */
  readonly local?: ModeContext<Options>['local'];
  /** Default: DEFAULT_PLC on every segment. */
  readonly plc?: ModeContext<Options>['plc'];
  readonly bootstrapTimeoutMs?: number;
  /** ModeContext.operator: a distributed bench's channel to the HES in another process. */
  readonly operator?: ModeContext<Options>['operator'];
  /** Default: {} (the mode's defaults). */
  readonly options?: Options;
}

/** A segment with no air-time model (storm bounds 0) and frames up to 1280 bytes. */
export const DEFAULT_PLC: PlcSegment = { ...NO_AIRTIME, maxFrameBytes: 1280 };

/**
 * Each TN's meter: its board's S0 count where it has a board, otherwise a synthetic meter drawn
 * from `random` (per TN, so both modes built from the same stream read the same meters).
 */
export function tnMeters(boards: ReadonlyMap<NodeId, TnBoard>, clock: Clock, random: Random): (tn: NodeId) => MeterSource {
  return (tn) => {
    const board = boards.get(tn);
    return board ? boardMeterSource(board) : syntheticMeter(clock, random.fork(`meter/${tn}`));
  };
}

/** Builds the named mode: the one way a mode comes to exist, for the runner, the CLI, the perf scripts and the tests. */
export function createMode<N extends ModeName>(name: N, setup: ModeSetup<OptionsOf<N>>): ModeOf<N> {
  const node = CRYPTO_BACKENDS.node;
  const boards = setup.boards ?? new Map<NodeId, TnBoard>();
  const ctx: ModeContext<OptionsOf<N>> = {
    topology: setup.topology,
    clock: setup.clock,
    network: setup.network,
    random: setup.random,
    metrics: setup.metrics ?? NO_METRICS,
    meterFor: setup.meterFor ?? tnMeters(boards, setup.clock, setup.random),
    relayFor: setup.relayFor ?? ((tn) => boards.get(tn)),
    computeFor: setup.computeFor ?? (() => undefined),
    crypto: setup.crypto ?? { hes: node, dc: node, tn: node },
    ...(setup.observer ? { observer: setup.observer } : {}),
    storeFor: setup.storeFor ?? (() => new MemoryNodeStore()),
    local: setup.local ?? (() => true),
    plc: setup.plc ?? (() => DEFAULT_PLC),
    ...(setup.bootstrapTimeoutMs !== undefined ? { bootstrapTimeoutMs: setup.bootstrapTimeoutMs } : {}),
    ...(setup.operator ? { operator: setup.operator } : {}),
    options: setup.options ?? ({} as OptionsOf<N>),
  };
  return (modeDefinition(name).create as (ctx: ModeContext<OptionsOf<N>>) => BenchMode)(ctx) as ModeOf<N>;
}
