/**
 * What a node host process (gridbench node) and the parent of a --processes run tell each other
 * over the IPC channel. A host started without a parent (the docker lab) runs on its own.
 *
 * started: the host is up and watches its parent (it stops when the parent goes away); a parent
 * waits for this, or for the host's exit, never for a fixed time.
 *
 * connected -> bootstrap: a host attaches its nodes to the broker, says so, and bootstraps when
 * the parent has heard it from every host. On the real clock a frame to a node whose process is
 * not attached yet is lost, and what is lost at bootstrap waits out a retry timer (a TLS
 * ClientHello: the 16 s initial retransmission timeout).
 *
 * With campaigns (campaign-relay.ts), a host also relays what its nodes tell the goal oracle
 * (observed), its nodes' keys (keys), and runs the mode operations a campaign asks for (op ->
 * op-done); a host replacing a unit asks the parent, the operator, for the new unit's credential
 * (issue -> issued) and to register it with the HES's host (register -> registered). The IPC channel uses structured-clone serialization, so bytes cross as bytes.
 *
 * A lab's host (gridbench node --operator) takes the campaign's messages (op, issued, registered)
 * from the operator, gridbench campaign, over its operator channel instead (operator-channel.ts,
 * v8-serialized as the IPC's structured clone), and sends the same messages back.
 */
import type { BootstrapReport } from '../../nodes/mode';
import type { Sample } from '../../core/metrics';
import type { NodeId } from '../../core/transport';
import type { Identity } from '../../nodes/lean/identity';
import type { Acceptance } from '../../nodes/oracle/goal-oracle';
import type { WorkloadFacts } from './workload';

/**
 * What a host's nodes told the goal oracle (nodes/oracle/goal-oracle.ts ProtocolObserver), with
 * the real-clock time it happened: the parent judges them all in time order (campaign-relay.ts).
 */
export type Observed =
  | { readonly at: number; readonly kind: 'issued'; readonly certificate: Uint8Array }
  | { readonly at: number; readonly kind: 'sent'; readonly sender: NodeId; readonly signed: Uint8Array; readonly recipient?: NodeId }
  | { readonly at: number; readonly kind: 'accepted'; readonly acceptance: Acceptance }
  | { readonly at: number; readonly kind: 'replaced'; readonly node: NodeId };

/** A mode operation a campaign asks of the nodes (BenchMode's), run by the host whose nodes it needs. */
export type HostOp =
  | { readonly op: 'automation'; readonly dc: NodeId; readonly relay: 'on' | 'off' }
  | { readonly op: 'meterRound'; readonly timeoutMs: number }
  | { readonly op: 'confidential'; readonly tn: NodeId; readonly payload: Uint8Array }
  | { readonly op: 'firmware'; readonly version: number; readonly image: Uint8Array; readonly timeoutMs: number }
  | { readonly op: 'powerRestored'; readonly dc: NodeId }
  | { readonly op: 'replace'; readonly node: NodeId }
  /** The HES's host admits a replacement unit registered by another host (ModeContext.operator). */
  | { readonly op: 'admit'; readonly node: NodeId; readonly credential: unknown }
  /** The TNs of a replaced DC's segment enrol again. */
  | { readonly op: 'reenrol'; readonly dc: NodeId };

export type HostMessage =
  | { readonly type: 'started' }
  | { readonly type: 'connected' }
  | { readonly type: 'samples'; readonly samples: readonly Sample[] }
  | { readonly type: 'bootstrapped'; readonly report: BootstrapReport }
  | { readonly type: 'done'; readonly facts: WorkloadFacts }
  | { readonly type: 'failed'; readonly error: string }
  /**
   * What the host's nodes told the oracle since the last batch (a run with campaigns), sent every
   * batch period even when empty: `upTo` says the host has sent every event of its nodes up to that
   * time, so that the relay judges no event before every host's batch of its moment is in.
   */
  | { readonly type: 'observed'; readonly events: readonly Observed[]; readonly upTo?: number }
  /** Keys of the host's nodes, for an attacker that compromises one (a mode with node keys: keysOf). */
  | { readonly type: 'keys'; readonly keys: Readonly<Record<NodeId, Identity>> }
  /** The end of an `op`: `mine` false when this host runs none of the nodes it needs. */
  | { readonly type: 'op-done'; readonly id: number; readonly mine: boolean; readonly value?: unknown; readonly error?: string }
  /** A replacement unit's credential, for the HES in another host (the operator's out-of-band registration). */
  | { readonly type: 'register'; readonly id: number; readonly node: NodeId; readonly credential: unknown }
  /** Asks the operator (the parent, which provisioned the state and holds the roots) for a replacement unit's credential. */
  | { readonly type: 'issue'; readonly id: number; readonly node: NodeId };

export type ParentMessage =
  | { readonly type: 'bootstrap' }
  | { readonly type: 'start'; readonly startAt: number }
  | { readonly type: 'stop' }
  | ({ readonly type: 'op'; readonly id: number } & HostOp)
  | { readonly type: 'registered'; readonly id: number; readonly error?: string }
  /** The answer to `issue`: the new unit's credential (its own key and certificate only, never the root's key). */
  | { readonly type: 'issued'; readonly id: number; readonly credential?: unknown; readonly error?: string };

/**
 * The time of the hosts' oracle events and of their batches' upTo, and what the relay judges them
 * against: the system's wall clock, which the processes of one machine share (across machines,
 * NTP). A RealClock's origin is taken per process at its start: on a loaded machine two
 * processes' RealClocks were measured 3 to 43 ms apart, more than a frame's latency on a LAN, so a
 * TN's sending could be stamped after the HES's acceptance of it, a violation that never was.
 */
export const eventTime = (): number => Date.now();
