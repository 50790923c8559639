import type { Clock } from '../runtime/clock';
import type { Metrics } from '../runtime/metrics';
import type { Random } from '../runtime/random';
import type { NodeId, Transport } from '../runtime/transport';

/**
 * What every smgw-tls node is built from (the same shape as lean mode's nodes): the caller hands
 * in the clock, the transport, the metrics hook and, where draws are needed, a seeded stream.
 */
export interface TlsNodeDeps {
  readonly id: NodeId;
  readonly clock: Clock;
  readonly transport: Transport;
  /** Already tagged with the node's own tags (segment, dc, tn). */
  readonly metrics: Metrics;
}

export interface TlsTnDeps extends TlsNodeDeps {
  /** The TN's own stream: connection numbers, renegotiation offsets, backoff jitter, readings. */
  readonly random: Random;
}
