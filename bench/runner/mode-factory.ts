/**
 * Builds a security architecture on the run's topology and wire: the one place the runner knows
 * the concrete modes. Both get the same clock, network, boards and metrics hook; a node host of a
 * distributed bench (node-host.ts) builds its part of a mode here too, with `local` and the state
 * it loaded.
 */
import { PRESETS } from '../../channel/presets';
import { resolveProfile, type ProfileSpec } from '../../channel/profile';
import { linkName, type LinkId, type Topology } from '../../core/topology';
import type { TnBoard } from '../../nodes/boards/board';
import { boardMeterSource } from '../../nodes/boards/meter-source';
import { computeModel, computeProfile } from '../../nodes/compute-profile';
import { cryptoBackend } from '../../nodes/crypto';
import type { CryptoBackend } from '../../nodes/crypto/backend';
import type { CryptoOpCounter } from '../../nodes/crypto/op-counter';
import type { GoalOracle } from '../../nodes/oracle/goal-oracle';
import type { Identity } from '../../nodes/lean/identity';
import { LeanMode, type LeanModeOptions } from '../../nodes/lean/lean-mode';
import type { BenchMode, ModeName } from '../../nodes/mode';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { Network, NodeId } from '../../core/transport';
import { MemoryNodeStore, type NodeStore } from '../../nodes/store/node-store';
import type { Pki } from '../../nodes/smgw-tls/pki';
import { createTlsMode } from '../../nodes/smgw-tls/tls-mode';
import type { Scenario } from '../scenario/schema';

export interface ModeContext {
  readonly scenario: Scenario;
  readonly topology: Topology;
  readonly clock: Clock;
  /** The in-process emulated network, or the broker's (ZeroMQ) in a node host. */
  readonly network: Network;
  readonly metrics: Metrics;
  readonly random: Random;
  readonly boards: ReadonlyMap<NodeId, TnBoard>;
  /** The goal oracle (both modes); campaigns need it, a node host runs none. */
  readonly oracle?: GoalOracle;
  readonly storeFor?: (node: NodeId, generation: number) => NodeStore;
  /** Counts the nodes' crypto operations (lean mode's explicit crypto). */
  readonly cryptoOps?: CryptoOpCounter;
  /** The nodes this process runs (default: all; a node host runs some). */
  readonly local?: (node: NodeId) => boolean;
  /** smgw-tls: the PKI as this host was handed it by provisioning (default: a fresh one for the run). */
  readonly pki?: Pki | undefined;
  /** lean in a node host: the provisioning it was handed, the manufacturer where it runs the HES, its retry timers. */
  readonly lean?: Pick<LeanModeOptions, 'provisioned' | 'manufacturer' | 'retry'> | undefined;
  /** How long bootstrap waits for the nodes (default: the mode's own). */
  readonly bootstrapTimeoutMs?: number;
}

/** What the runner and campaigns may ask of a mode beyond the common workload. */
export interface RunnableMode extends BenchMode {
  /** Every TN of a segment loses and regains power; smgw-tls resolves with the storm that follows. */
  powerRestored?(dc: NodeId): void | Promise<unknown>;
  /** Keys of a node, for campaigns that hand an attacker a compromised node. */
  keysOf?(node: NodeId): Identity;
  /** A new unit replaces a failed node and enrols; resolves when it has. */
  replace?(node: NodeId): Promise<void>;
}

function computeFor(scenario: Scenario) {
  return (tn: NodeId) => {
    const preset = scenario.compute.tns[tn] ?? scenario.compute.default;
    return preset === 'none' ? undefined : computeModel(computeProfile(preset));
  };
}

const counted = (ctx: ModeContext, backend: CryptoBackend, role: string) => (ctx.cryptoOps ? ctx.cryptoOps.wrap(backend, role) : backend);

function createLeanMode(ctx: ModeContext): RunnableMode {
  const { scenario } = ctx;
  return new LeanMode({
    topology: ctx.topology,
    network: ctx.network,
    clock: ctx.clock,
    crypto: {
      hes: counted(ctx, cryptoBackend(scenario.crypto.hes), 'hes'),
      dc: counted(ctx, cryptoBackend(scenario.crypto.dc), 'dc'),
      tn: counted(ctx, cryptoBackend(scenario.crypto.tn), 'tn'),
    },
    metrics: ctx.metrics,
    random: ctx.random.fork('lean'),
    storeFor: ctx.storeFor ?? (() => new MemoryNodeStore()),
    ...(ctx.oracle ? { observer: ctx.oracle } : {}),
    relayFor: (tn) => ctx.boards.get(tn),
    meterFor: (tn) => {
      const board = ctx.boards.get(tn);
      return board ? boardMeterSource(board) : undefined;
    },
    computeFor: computeFor(scenario),
    ...(ctx.local ? { local: ctx.local } : {}),
    ...(ctx.bootstrapTimeoutMs ? { bootstrapTimeoutMs: ctx.bootstrapTimeoutMs } : {}),
    ...ctx.lean,
  });
}

/** A link's profile spec as the scenario sets it: the kind's spec with the link's overrides. */
export function scenarioProfile(scenario: Scenario, link: LinkId): ProfileSpec {
  return { ...(link.kind === 'plc' ? scenario.channel.plc : scenario.channel.wan), ...scenario.channel.overrides?.[linkName(link)] };
}

function createSmgwTlsMode(ctx: ModeContext): RunnableMode {
  const { scenario } = ctx;
  const plc = (dc: NodeId) => resolveProfile(scenarioProfile(scenario, { kind: 'plc', dc }), PRESETS);
  const maxFrameBytes = Math.min(...ctx.topology.dcs.map((d) => plc(d.id).maxFrameBytes));
  return createTlsMode(
    {
      curve: scenario.tls.curve,
      lifetime: { maxAgeMs: scenario.tls.maxAge, maxBytes: scenario.tls.maxBytes, reconnect: scenario.tls.reconnect },
      airtime: plc,
      maxFrameBytes,
      relayFor: (tn) => ctx.boards.get(tn),
      computeFor: computeFor(scenario),
      ...(ctx.oracle ? { observer: ctx.oracle } : {}),
      ...(ctx.pki ? { pki: ctx.pki } : {}),
      ...(ctx.local ? { local: ctx.local } : {}),
      ...(ctx.bootstrapTimeoutMs ? { bootstrapTimeoutMs: ctx.bootstrapTimeoutMs } : {}),
    },
    { clock: ctx.clock, network: ctx.network, topology: ctx.topology, random: ctx.random.fork('smgw-tls'), metrics: ctx.metrics },
  );
}

const MODE_FACTORIES: Readonly<Record<ModeName, (ctx: ModeContext) => RunnableMode>> = {
  lean: createLeanMode,
  'smgw-tls': createSmgwTlsMode,
};

export function createMode(name: ModeName, ctx: ModeContext): RunnableMode {
  return MODE_FACTORIES[name](ctx);
}
