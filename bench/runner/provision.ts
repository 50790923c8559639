/**
 * The state directory of a distributed bench: every node's keys (generation 0), the manufacturer's
 * root key and the HES's certificate, created once before any node process starts, as nodes are
 * provisioned at production. Processes then only load from it, so none races another to create
 * a key. Shared between containers as a volume in the docker lab.
 */
import { join } from 'node:path';
import { Topology } from '../../channel/topology';
import { cryptoBackend } from '../../nodes/crypto';
import { LeanMode } from '../../nodes/lean/lean-mode';
import { Manufacturer } from '../../nodes/lean/manufacturer';
import { RealClock } from '../../nodes/runtime/clock';
import { NO_METRICS } from '../../nodes/runtime/metrics';
import { Random } from '../../nodes/runtime/random';
import type { Network, NodeId } from '../../nodes/runtime/transport';
import { FileNodeStore, type NodeStore } from '../../nodes/store/node-store';
import type { Scenario } from '../scenario/schema';

export const MANUFACTURER_STORE = 'manufacturer';

/** Where a unit's store lives in a state directory: <node>, then <node>~1, ~2 for replacements. */
export function stateStoreFor(stateDir: string): (node: NodeId, generation: number) => NodeStore {
  return (node, generation) => new FileNodeStore(join(stateDir, generation ? `${node}~${generation}` : node));
}

const NO_NETWORK: Network = {
  attach: () => {
    throw new Error('provisioning attaches no node');
  },
  close: async () => {},
};

/** Creates (or keeps) every identity and certificate of the scenario's topology under stateDir. */
export function provisionState(scenario: Scenario, stateDir: string): { nodes: number } {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const crypto = { hes: cryptoBackend(scenario.crypto.hes), dc: cryptoBackend(scenario.crypto.dc), tn: cryptoBackend(scenario.crypto.tn) };
  // lean mode with no local node does exactly the provisioning, and nothing else
  new LeanMode({
    topology,
    network: NO_NETWORK,
    clock: new RealClock(),
    crypto,
    metrics: NO_METRICS,
    random: new Random(scenario.seed),
    storeFor: stateStoreFor(stateDir),
    manufacturer: Manufacturer.fromStore(new FileNodeStore(join(stateDir, MANUFACTURER_STORE)), crypto.hes),
    local: () => false,
  });
  return { nodes: topology.nodes.length };
}
