import type { CryptoBackend } from '../crypto/backend';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { NodeId, Transport } from '../../core/transport';
import type { NodeStore } from '../store/node-store';
import type { Identity } from './identity';
import type { ProtocolObserver } from '../oracle/goal-oracle';

/**
 * What every lean-mode node is built from. Nodes never read the wall clock, open sockets or pick
 * their own keys' storage: the factory's caller hands them all of it.
 */
export interface LeanNodeDeps {
  readonly id: NodeId;
  readonly clock: Clock;
  /** Owned by the node from now on: close() closes it. */
  readonly transport: Transport;
  readonly store: NodeStore;
  /** The unit's keys, made at production and kept in its store (the mode provisions them first: ./identity.ts). */
  readonly identity: Identity;
  readonly crypto: CryptoBackend;
  /** Already tagged with the node's own tags (tn, dc, segment...). */
  readonly metrics: Metrics;
  /** The manufacturer's public key, preinstalled in every node. */
  readonly manufacturerKey: Uint8Array;
  /** The node's own seeded stream (the jitter of its registrations): no other node's draws move it. */
  readonly random: Random;
  readonly observer?: ProtocolObserver;
}

/**
 * Timings of the bootstrap retry loop (registration frames can be lost on the PLC), desynchronised
 * as docs/DESIGN.md 2.1 ("Bootstrapping") says: ./enrolment-loop.ts.
 */
export interface RetryPolicy {
  /** The wait after the first registration left; doubled after each, up to maxMs; each jittered to [0.5, 1.5) of itself. */
  readonly firstMs: number;
  readonly maxMs: number;
  /**
   * A TN's first registration goes at a uniform random time within this long of the start (a DC's
   * at once). Default: the time its segment needs to carry every TN's enrolment once (LeanMode).
   */
  readonly spreadMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstMs: 30_000, maxMs: 600_000 };
