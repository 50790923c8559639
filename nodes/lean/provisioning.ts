/**
 * Lean mode in a state directory of a distributed bench, made once by `gridbench provision`
 * before any node process starts (docs/DESIGN.md 2.1: keys are made at production): every node's
 * store with its keys (generation 0), the manufacturer's root key and the HES's certificate, and
 * the public part every process may know (LEAN_PROVISIONING: the allow-list, the manufacturer's
 * public key). A host is handed the public part and its own nodes' stores; nothing else. The
 * root's secret stays in the operator's state directory: the HES signs with its own key, which
 * the root certified here (its certificate is in the HES's store).
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fromHex, toHex } from '../../core/bytes';
import { describeZodIssues } from '../../core/config';
import type { NodeId } from '../../core/transport';
import type { ProvisionContext } from '../mode';
import { PUBLIC_KEY_BYTES } from '../protocol/frame-fields';
import { replaceFile } from '../../core/replace-file';
import { FileNodeStore } from '../store/node-store';
import { isUnitStoreOf } from '../store/state-dir';
import { AllowList } from './allow-list';
import type { LeanOptions, LeanProvisioned } from './lean-mode';
import { Manufacturer } from './manufacturer';

export const MANUFACTURER_STORE = 'manufacturer';
/** The public part of lean provisioning: what shows that a state directory is provisioned for lean. */
export const LEAN_PROVISIONING = 'lean-provisioning.json';

/** Registration frames lost while another process is not up yet are sent again soon. */
const HOST_RETRY = { firstMs: 2_000, maxMs: 30_000 };

/** The manufacturer of a state directory: its root key kept in its own store, made on first use. */
export function stateManufacturer(ctx: ProvisionContext<LeanOptions>): Manufacturer {
  return Manufacturer.fromStore(new FileNodeStore(join(ctx.stateDir, MANUFACTURER_STORE)), ctx.crypto.hes);
}

/** Writes what every node process may know: who is expected with which key, and the root's public key. */
export function saveLeanProvisioning(stateDir: string, provisioned: LeanProvisioned): void {
  const publicPart: ProvisioningFile = { allowList: provisioned.allowList.toJSON(), manufacturerKey: toHex(provisioned.manufacturerKey) };
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
const nodeId = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'expected a node id such as dc1 or tn1.001');
const provisioningSchema = z
  .object({
    allowList: z.record(nodeId, z.object({ role: z.enum(['dc', 'tn']), dc: nodeId.optional(), fingerprint: hex(32) }).strict()),
    manufacturerKey: hex(PUBLIC_KEY_BYTES),
  })
  .strict();
type ProvisioningFile = z.infer<typeof provisioningSchema>;

/** The public part of a lean provisioning: the allow-list and the manufacturer's public key. */
export function loadLeanProvisioning(stateDir: string): LeanProvisioned {
  const file = join(stateDir, LEAN_PROVISIONING);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the lean provisioning (run gridbench provision): ${(err as Error).message}`, { cause: err });
  }
  const parsed = provisioningSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`${file}: not a lean provisioning (run gridbench provision again): ${describeZodIssues(parsed.error)}`);
  return { allowList: AllowList.fromJSON(parsed.data.allowList), manufacturerKey: fromHex(parsed.data.manufacturerKey) };
}

/**
 * Copies a host its share: the public provisioning and its nodes' stores (every generation),
 * never the manufacturer's store. Handed again (the lab provisions at every start), a
 * host keeps the stores it already has: their counters are newer than provisioning's.
 */
export function exportLeanHostState(ctx: ProvisionContext<LeanOptions>, hostDir: string, nodes: ReadonlySet<NodeId>): void {
  const { stateDir } = ctx;
  const provisioning = join(stateDir, LEAN_PROVISIONING);
  if (!existsSync(provisioning))
    throw new Error(`${provisioning}: missing: ${stateDir} is not provisioned for lean (run gridbench provision)`);
  replaceFile(join(hostDir, LEAN_PROVISIONING), readFileSync(provisioning));
  const stores = readdirSync(stateDir);
  const copyStore = (name: string) => {
    if (!existsSync(join(hostDir, name))) cpSync(join(stateDir, name), join(hostDir, name), { recursive: true });
  };
  for (const node of nodes) {
    if (!stores.includes(node))
      throw new Error(`${join(stateDir, node)}: missing: ${node} is not provisioned (run gridbench provision with this scenario)`);
    for (const name of stores.filter((entry) => isUnitStoreOf(node, entry))) copyStore(name);
  }
}

/**
 * What lean needs of a host's state: the public provisioning and, on the real clock, registration
 * timers for processes that come up at different times. On a virtual clock (a partition of a
 * partitioned run) every node attaches at time 0, as in process: the in-process timers apply.
 * The HES's host signs firmware with the HES's key.
 */
export function loadLeanHostState(ctx: ProvisionContext<LeanOptions>, _local: (node: NodeId) => boolean): Partial<LeanOptions> {
  return {
    provisioned: loadLeanProvisioning(ctx.stateDir),
    ...(ctx.hostClock === 'virtual' ? {} : { retry: HOST_RETRY }),
  };
}
