/**
 * The state directory of a distributed bench, created once before any node process starts, as
 * nodes are provisioned at production. Processes then only load from it, so none races another
 * to create a key. In the docker lab it is the operator's volume; each node service gets its share (exportHostState).
 *
 * - lean: every node's keys (generation 0), the manufacturer's root key and the HES's certificate;
 * - smgw-tls: the run's PKI (root, HES server certificate, one client certificate per TN, the
 *   manufacturer's firmware key), in TLS_PKI_STORE (nodes/smgw-tls/pki-store.ts); private keys with
 *   mode 0600. Every certificate is issued here: the root's private key is read by provisioning
 *   only, and a node process loads the root certificate and its own nodes' secrets (loadStatePki).
 *
 * exportHostState hands each host a state directory of its own holding only what its nodes may
 * hold, so a compromised host (a docker lab container, a --processes child) finds no other node's
 * key and no root key on its disk either.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues } from '../../core/config';
import { fromHex, toHex } from '../../core/bytes';
import { AllowList } from '../../nodes/lean/allow-list';
import { Topology } from '../../core/topology';
import { cryptoBackend } from '../../nodes/crypto';
import { LeanMode } from '../../nodes/lean/lean-mode';
import { Manufacturer } from '../../nodes/lean/manufacturer';
import { RealClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import type { Network, NodeId } from '../../core/transport';
import { PUBLIC_KEY_BYTES } from '../../nodes/protocol/frame-fields';
import { FileNodeStore, type NodeStore } from '../../nodes/store/node-store';
import { createPki, type Pki } from '../../nodes/smgw-tls/pki';
import {
  exportPki,
  hasCredential,
  hasManufacturerKey,
  hasPki,
  loadPki,
  loadPkiAuthority,
  saveCredential,
  saveManufacturerKey,
  savePki,
} from '../../nodes/smgw-tls/pki-store';
import { nodeId, type Scenario } from '../scenario/schema';
import { selectNodes } from './node-selection';

export const MANUFACTURER_STORE = 'manufacturer';
/** The public part of lean provisioning: what shows that a state directory is provisioned for lean. */
export const LEAN_PROVISIONING = 'lean-provisioning.json';
export const TLS_PKI_STORE = 'smgw-tls-pki';

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

/**
 * Creates (or keeps) every identity and certificate the scenario's modes need under stateDir. A
 * state directory provisioned for a smaller topology is completed; one made for another curve is
 * refused, naming its file.
 */
export function provisionState(scenario: Scenario, stateDir: string): { nodes: number } {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  if (scenario.modes.includes('lean')) provisionLean(scenario, topology, stateDir);
  if (scenario.modes.includes('smgw-tls')) provisionTlsPki(scenario, topology, stateDir);
  return { nodes: topology.nodes.length };
}

function provisionLean(scenario: Scenario, topology: Topology, stateDir: string): void {
  const crypto = { hes: cryptoBackend(scenario.crypto.hes), dc: cryptoBackend(scenario.crypto.dc), tn: cryptoBackend(scenario.crypto.tn) };
  // lean mode with no local node does exactly the provisioning, and nothing else
  const lean = new LeanMode({
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
  // what every node process may know: who is expected with which key, and the root's public key
  const publicPart: LeanProvisioning = { allowList: lean.allowList.toJSON(), manufacturerKey: toHex(lean.manufacturerPublicKey) };
  writeFileSync(join(stateDir, LEAN_PROVISIONING), `${JSON.stringify(publicPart, null, 1)}\n`);
}

/** What a lean provisioning file must hold; a hand-edited or truncated one is refused, naming the field. */
const hex = (bytes?: number) =>
  z
    .string()
    .regex(
      bytes ? new RegExp(`^[0-9a-f]{${bytes * 2}}$`) : /^[0-9a-f]+$/,
      bytes ? `expected ${bytes} bytes in lower-case hex` : 'expected lower-case hex',
    );
const leanProvisioningSchema = z
  .object({
    allowList: z.record(nodeId, z.object({ role: z.enum(['dc', 'tn']), dc: nodeId.optional(), fingerprint: hex(32) }).strict()),
    manufacturerKey: hex(PUBLIC_KEY_BYTES),
  })
  .strict();
type LeanProvisioning = z.infer<typeof leanProvisioningSchema>;

/** The public part of a lean provisioning: the allow-list and the manufacturer's public key. */
export function loadLeanProvisioning(stateDir: string): { allowList: AllowList; manufacturerKey: Uint8Array } {
  const file = join(stateDir, LEAN_PROVISIONING);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the lean provisioning (run gridbench provision): ${(err as Error).message}`, { cause: err });
  }
  const parsed = leanProvisioningSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${file}: not a lean provisioning (run gridbench provision again): ${describeZodIssues(parsed.error)}`);
  return { allowList: AllowList.fromJSON(parsed.data.allowList), manufacturerKey: fromHex(parsed.data.manufacturerKey) };
}

function provisionTlsPki(scenario: Scenario, topology: Topology, stateDir: string): void {
  const dir = join(stateDir, TLS_PKI_STORE);
  const store = new FileNodeStore(dir);
  if (!hasPki(store)) {
    savePki(createPki({ curve: scenario.tls.curve, hes: topology.hes, tns: topology.tns }), store);
    return;
  }
  const pki = loadPkiAuthority(store, dir);
  if (pki.curve !== scenario.tls.curve)
    throw new Error(
      `${dir}/pki.json: the PKI is on ${pki.curve}, the scenario's tls.curve is ${scenario.tls.curve} (use another --state directory)`,
    );
  if (pki.hesId !== topology.hes) throw new Error(`${dir}/pki.json: the PKI's HES is "${pki.hesId}", the topology's "${topology.hes}"`);
  // a PKI saved before firmware had a key of its own (the root signed it) gets one
  if (!hasManufacturerKey(store)) saveManufacturerKey(store, pki);
  for (const tn of topology.tns) if (!hasCredential(store, tn)) saveCredential(store, pki.enrolTn(tn));
}

/**
 * The provisioned smgw-tls PKI as a node process that runs the `local` nodes loads it: the root
 * certificate and the manufacturer's public key; the HES's credential and the manufacturer's
 * firmware key only if it runs the HES; the credentials of the TNs it runs. Never the root's
 * private key, nor another node's. Errors name the state directory and the missing or broken file.
 */
export function loadStatePki(stateDir: string, topology: Topology, local: (node: NodeId) => boolean): Pki {
  const dir = join(stateDir, TLS_PKI_STORE);
  return loadPki(new FileNodeStore(dir), { hes: local(topology.hes), tns: topology.tns.filter(local) }, dir);
}

/**
 * Copies into hostDir what the process running `selection` (hes, dc1, tns:dc1, TN ids) may hold of
 * the provisioned stateDir, for each of the scenario's modes: lean, the public provisioning, its
 * nodes' stores (every generation) and, with the HES, the manufacturer's store; smgw-tls, the
 * public PKI records and its nodes' credentials (exportPki). hostDir is then that host's --state;
 * handed again (the lab provisions at every start), it keeps the lean stores it already has.
 */
export function exportHostState(scenario: Scenario, stateDir: string, selection: string, hostDir: string): { nodes: number } {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const nodes = selectNodes(selection, topology);
  const local = new Set(nodes);
  mkdirSync(hostDir, { recursive: true, mode: 0o700 });
  if (scenario.modes.includes('lean')) {
    const provisioning = join(stateDir, LEAN_PROVISIONING);
    if (!existsSync(provisioning))
      throw new Error(`${provisioning}: missing: ${stateDir} is not provisioned for lean (run gridbench provision)`);
    cpSync(provisioning, join(hostDir, LEAN_PROVISIONING));
    const stores = readdirSync(stateDir);
    // a store the host already has is its own, with counters newer than provisioning's: kept
    const copyStore = (name: string) => {
      if (!existsSync(join(hostDir, name))) cpSync(join(stateDir, name), join(hostDir, name), { recursive: true });
    };
    for (const node of nodes) {
      if (!stores.includes(node))
        throw new Error(`${join(stateDir, node)}: missing: ${node} is not provisioned (run gridbench provision with this scenario)`);
      for (const name of stores.filter((f) => f === node || f.startsWith(`${node}~`))) copyStore(name);
    }
    if (local.has(topology.hes)) copyStore(MANUFACTURER_STORE);
  }
  if (scenario.modes.includes('smgw-tls')) {
    const from = join(stateDir, TLS_PKI_STORE);
    const to = join(hostDir, TLS_PKI_STORE);
    exportPki(
      new FileNodeStore(from),
      { hes: local.has(topology.hes), tns: topology.tns.filter((tn) => local.has(tn)) },
      new FileNodeStore(to),
      { from, to },
    );
  }
  return { nodes: nodes.length };
}
