import type { CryptoBackend } from '../crypto/backend';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { NodeId, Transport } from '../../core/transport';
import type { NodeStore } from '../store/node-store';
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
  readonly crypto: CryptoBackend;
  /** Already tagged with the node's own tags (tn, dc, segment...). */
  readonly metrics: Metrics;
  /** The manufacturer's public key, preinstalled in every node. */
  readonly manufacturerKey: Uint8Array;
  readonly observer?: ProtocolObserver;
}

/** Timings of the bootstrap retry loop (registration frames can be lost on the PLC). */
export interface RetryPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstMs: 30_000, maxMs: 600_000 };
