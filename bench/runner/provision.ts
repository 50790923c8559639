/**
 * The state directory of a distributed bench, created once before any node process starts, as
 * nodes are provisioned at production. Processes then only load from it, so none races another
 * to create a key. In the docker lab it is the operator's volume; each node service gets its share
 * (exportHostState).
 *
 * What goes in it is each mode's business (ModeDefinition.provision, exportHostState,
 * loadHostState: lean's in nodes/lean/provisioning.ts, smgw-tls's in nodes/smgw-tls/provisioning.ts);
 * this file runs them for the scenario's modes. A host is handed a state directory of its own
 * holding only what its nodes may hold, so a compromised host (a docker lab container, a
 * --processes child) finds no other node's key and no root key on its disk either.
 */
import { mkdirSync } from 'node:fs';
import { exportChannelKeys, provisionChannelKeys } from '../../channel/broker-auth';
import { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';
import type { ModeDefinition, ProvisionContext } from '../../nodes/mode';
import { modeDefinition, type ModeName, type OptionsOf } from '../../nodes/modes';
import type { Scenario } from '../scenario/schema';
import { scenarioCrypto } from './mode-factory';
import { selectNodes } from './node-selection';
import { exportOperatorKeys, provisionOperatorKey } from './operator-keys';

/** The mode's provisioning context: the scenario's topology, crypto and the mode's own section. */
function provisionContext<N extends ModeName>(
  scenario: Scenario,
  topology: Topology,
  stateDir: string,
  mode: N,
): ProvisionContext<OptionsOf<N>> {
  return { topology, stateDir, crypto: scenarioCrypto(scenario, undefined, `provision/${mode}`), options: scenario[mode] as OptionsOf<N> };
}

/** The mode's definition, typed for its own provisioning context. */
const definitionOf = <N extends ModeName>(mode: N) => modeDefinition(mode) as unknown as ModeDefinition<never, OptionsOf<N>>;

/**
 * Creates (or keeps) every identity and certificate the scenario's modes need under stateDir. A
 * state directory provisioned for a smaller topology is completed; one made for other settings
 * (another curve) is refused, naming its file.
 */
export function provisionState(scenario: Scenario, stateDir: string): { nodes: number } {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  for (const mode of scenario.modes) definitionOf(mode).provision(provisionContext(scenario, topology, stateDir, mode));
  // Every node's key for the broker's wire, and the broker's (channel/broker-auth.ts).
  provisionChannelKeys(stateDir, topology.nodes);
  // The operator's key for ordering node operations from a lab's hosts (operator-keys.ts).
  provisionOperatorKey(stateDir);
  return { nodes: topology.nodes.length };
}

/** The selection naming the channel broker's host in exportHostState (`gridbench provision --host channel=DIR`). */
export const CHANNEL_HOST = 'channel';

/**
 * Copies into hostDir what the process running `selection` (hes, dc1, tns:dc1, TN ids) may hold of
 * the provisioned stateDir, for each of the scenario's modes. hostDir is then that host's --state;
 * handed again (the lab provisions at every start), it keeps the stores it already has.
 */
export function exportHostState(scenario: Scenario, stateDir: string, selection: string, hostDir: string): { nodes: number } {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  mkdirSync(hostDir, { recursive: true, mode: 0o700 });
  // The broker's host (selection `channel`): its own keys and the nodes' public keys, no node's secret.
  if (selection === CHANNEL_HOST) {
    exportChannelKeys(stateDir, hostDir, [], true);
    return { nodes: 0 };
  }
  const nodes = selectNodes(selection, topology);
  for (const mode of scenario.modes)
    definitionOf(mode).exportHostState(provisionContext(scenario, topology, stateDir, mode), hostDir, new Set(nodes));
  exportChannelKeys(stateDir, hostDir, nodes);
  exportOperatorKeys(stateDir, hostDir, selection);
  return { nodes: nodes.length };
}

/**
 * What a process running the `local` nodes loads of its state directory for a mode, as options to
 * build the mode with; `hostClock` is the clock it runs on (a partition of a partitioned run: virtual).
 */
export function loadHostState<N extends ModeName>(
  scenario: Scenario,
  stateDir: string,
  mode: N,
  local: (node: NodeId) => boolean,
  hostClock: 'real' | 'virtual' = 'real',
): Partial<OptionsOf<N>> {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  return definitionOf(mode).loadHostState({ ...provisionContext(scenario, topology, stateDir, mode), hostClock }, local);
}

/**
 * A replacement unit's credential for `node`, issued by the operator from the roots in the
 * provisioned stateDir (ModeDefinition.issueReplacement), for the host that runs the node; a mode
 * whose new units make their own is named.
 */
/** Whether a mode's replacement units get their credential from the operator (issueReplacement), as smgw-tls's TNs do; lean's make their own. */
export const operatorIssues = (mode: ModeName): boolean => definitionOf(mode).issueReplacement !== undefined;

export function issueReplacement(scenario: Scenario, stateDir: string, mode: ModeName, node: NodeId): unknown {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const definition = definitionOf(mode);
  if (!definition.issueReplacement) throw new Error(`${mode} mode's new units make their own credentials; the operator issues none`);
  return definition.issueReplacement(provisionContext(scenario, topology, stateDir, mode), node);
}
