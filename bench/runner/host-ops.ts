/**
 * The node host's side of a campaign run from another process (campaign-relay.ts is the
 * parent's): what its nodes tell the goal oracle goes to the parent with its time, its nodes' keys
 * go to the attacker who may compromise them, and the mode operations a campaign asks for run
 * here when this host runs the nodes they need (BenchMode says which: the HES for rounds,
 * confidential messages and firmware; the issuer for automation; the TNs of a segment for a power
 * restoration; the node and the HES for a replacement).
 */
import type { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';
import type { Identity } from '../../nodes/lean/identity';
import type { Operator } from '../../nodes/mode';
import type { ProtocolObserver } from '../../nodes/oracle/goal-oracle';
import { eventTime, type HostMessage, type HostOp, type Observed, type ParentMessage } from './host-messages';
import type { RunnableMode } from './mode-factory';

/**
 * An observer that queues every event with its time, for the next batch to the parent. The time
 * is by default the one every host and the relay share (eventTime), not this process's RealClock;
 * a partition of a partitioned run stamps its virtual clock's (partitioned/partition-host.ts).
 */
export function relayObserver(queue: Observed[], now: () => number = eventTime): ProtocolObserver {
  return {
    issued: (certificate) => queue.push({ at: now(), kind: 'issued', certificate }),
    sent: (sender, signed, recipient) =>
      queue.push({ at: now(), kind: 'sent', sender, signed, ...(recipient !== undefined ? { recipient } : {}) }),
    accepted: (acceptance) => queue.push({ at: now(), kind: 'accepted', acceptance }),
    replaced: (node) => queue.push({ at: now(), kind: 'replaced', node }),
  };
}

/** Keys of the host's nodes, in a mode that has node keys to hand out; undefined otherwise. */
export function localKeys(mode: RunnableMode, nodes: Iterable<NodeId>): Record<NodeId, Identity> | undefined {
  if (!mode.keysOf) return undefined;
  const keys: Record<NodeId, Identity> = {};
  for (const node of nodes) {
    try {
      keys[node] = mode.keysOf(node);
    } catch {
      // a node whose keys this process does not hold
    }
  }
  return keys;
}

/**
 * Runs `op` if this host runs the nodes it needs: resolves with its value, or with `mine: false`
 * when another host's nodes are the ones to act.
 */
export async function runHostOp(
  mode: RunnableMode,
  topology: Topology,
  local: (node: NodeId) => boolean,
  op: HostOp,
): Promise<{ mine: boolean; value?: unknown }> {
  const hes = local(topology.hes);
  switch (op.op) {
    case 'automation':
      if (!local(mode.automationIssuer(op.dc))) return { mine: false };
      return { mine: true, value: mode.automation(op.dc, { relay: op.relay }) };
    case 'meterRound':
      return hes ? { mine: true, value: summary(await mode.meterRound(op.timeoutMs)) } : { mine: false };
    case 'confidential':
      if (!hes) return { mine: false };
      mode.confidential(op.tn, op.payload);
      return { mine: true };
    case 'firmware':
      return hes ? { mine: true, value: await mode.firmware({ version: op.version, image: op.image }, op.timeoutMs) } : { mine: false };
    case 'powerRestored':
      if (!topology.tnsOf(op.dc).some(local)) return { mine: false };
      return { mine: true, value: await mode.powerRestored(op.dc) };
    case 'replace':
      if (!local(op.node)) return { mine: false };
      await mode.replace(op.node);
      return { mine: true };
    case 'admit':
      if (!hes || !mode.admit) return { mine: false };
      mode.admit(op.node, op.credential);
      return { mine: true };
    case 'reenrol':
      if (!mode.reenrol || !topology.tnsOf(op.dc).some(local)) return { mine: false };
      await mode.reenrol(op.dc);
      return { mine: true };
  }
}

/**
 * The operator's out-of-band channel of a host (ModeContext.operator): a request for a new unit's
 * credential or a registration goes to the parent, which issues the credential from the roots it
 * provisioned, or has the HES's host admit the registration; each resolves with the answer.
 */
export function parentOperator(send: (m: HostMessage) => void): Operator & { answered(m: ParentMessage): void } {
  let next = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void; what: string }>();
  const ask = (what: string, message: (id: number) => HostMessage) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject, what });
      send(message(id));
    });
  return {
    register: async (node, credential) => {
      await ask('registering the new unit with the HES', (id) => ({ type: 'register', id, node, credential }));
    },
    issue: (node) => ask("the operator issuing the new unit's credential", (id) => ({ type: 'issue', id, node })),
    answered: (m) => {
      if (m.type !== 'registered' && m.type !== 'issued') return;
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(`${w.what}: ${m.error}`));
      else w?.resolve(m.type === 'issued' ? m.credential : undefined);
    },
  };
}

/** A round's report without its readings map (what a campaign awaits is the round, not the registers). */
const summary = (r: Awaited<ReturnType<RunnableMode['meterRound']>>) => ({ ...r, readings: new Map(r.readings) });
