import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { NodeId, Transport } from '../../core/transport';

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
