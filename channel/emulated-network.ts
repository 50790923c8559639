import {
  TransportError,
  type DepartureListener,
  type Destination,
  type FrameHandler,
  type FrameTrace,
  type Network,
  type NodeId,
  type ReceivedFrame,
  type Transport,
} from '../core/transport';
import type { TimerHandle } from '../core/clock';
import { Channel, type ChannelOptions, type RemoteDelivery, type RemoteWire } from './channel';
import type { ChannelControl } from './control';

export type { RemoteDelivery, RemoteWire } from './channel';

/** The channel's options (any clock: a VirtualClock makes the run deterministic for the seed of `random`), plus: */
export interface EmulatedNetworkOptions extends ChannelOptions {
  /** Called when a node's frame handler throws; the default logs it. Delivery to others goes on. */
  readonly onHandlerError?: (node: NodeId, error: unknown) => void;
  /**
   * One partition of a partitioned run (issue 13): frames for nodes it does not hold are shipped
   * when their medium completes them, and the other partitions' come in through deliverRemote.
   */
  readonly remote?: RemoteWire | undefined;
}

export interface EmulatedNetwork extends Network {
  /** The attacker's and the campaign's handle (the same operations as the broker's control API). */
  readonly control: ChannelControl;
  readonly channel: Channel;
  /**
   * Hands a frame another partition shipped to a node of this one at `delivery.at` on this clock,
   * as a local delivery is handed over. Throws when `at` is already past: a causality breach.
   */
  deliverRemote(delivery: RemoteDelivery): void;
}

interface Endpoint {
  readonly handlers: Set<FrameHandler>;
}

/**
 * The in-process network: every node's transport on the shared channel core. Deliveries that
 * would land inside the sender's own send() call are deferred to a zero-delay timer, so a
 * handler never runs re-entrantly and a virtual clock sees the work.
 */
export function createEmulatedNetwork(options: EmulatedNetworkOptions): EmulatedNetwork {
  const { topology, clock } = options;
  const endpoints = new Map<NodeId, Endpoint>();
  const onHandlerError =
    options.onHandlerError ?? ((node, error) => console.error(`emulated network: frame handler of ${node} threw:`, error));
  let deferred: { to: NodeId; received: ReceivedFrame }[] = [];
  let flushArmed = false;
  let closed = false;
  const remoteTimers = new Set<TimerHandle>();

  const handOver = (to: NodeId, received: ReceivedFrame): void => {
    const ep = endpoints.get(to);
    if (!ep) return;
    for (const h of ep.handlers) {
      try {
        h(received);
      } catch (err) {
        onHandlerError(to, err);
      }
    }
  };

  const flush = (): void => {
    flushArmed = false;
    const batch = deferred;
    deferred = [];
    for (const d of batch) handOver(d.to, d.received);
  };

  const channel = new Channel(options, {
    remote: options.remote,
    deliver(to, received, reentrant) {
      if (!endpoints.has(to)) return false;
      if (!reentrant) {
        handOver(to, received);
        return true;
      }
      deferred.push({ to, received });
      if (!flushArmed) {
        flushArmed = true;
        clock.setTimer(0, flush);
      }
      return true;
    },
  });

  const deliverRemote = ({ at, to, received }: RemoteDelivery): void => {
    if (closed) return;
    const now = clock.now();
    if (!(at >= now))
      throw new Error(
        `emulated network: a frame for ${to} from another partition arrives at ${at} ms, before this clock's ${now} ms (causality breach)`,
      );
    const timer = clock.setTimer(at - now, () => {
      remoteTimers.delete(timer);
      if (endpoints.has(to)) handOver(to, received);
      else channel.reject('receiver-absent', received.from);
    });
    remoteTimers.add(timer);
  };

  return {
    control: channel.control,
    channel,
    deliverRemote,
    attach(node: NodeId): Transport {
      if (!topology.has(node)) throw new TransportError('UNKNOWN_NODE', `attach: node "${node}" is not in the topology`);
      if (endpoints.has(node)) throw new TransportError('ALREADY_ATTACHED', `attach: node "${node}" is already attached`);
      const ep: Endpoint = { handlers: new Set() };
      endpoints.set(node, ep);
      let open = true;
      return {
        self: node,
        send(to: Destination, frame: Uint8Array, trace?: FrameTrace, departed?: DepartureListener) {
          if (!open || closed) {
            departed?.(clock.now());
            return channel.reject('closed', node);
          }
          channel.offer(node, to, frame, { sentAt: trace?.sentAt, attack: trace?.attack, departed });
        },
        onFrame(handler) {
          ep.handlers.add(handler);
          return () => ep.handlers.delete(handler);
        },
        async close() {
          if (!open) return;
          open = false;
          if (endpoints.get(node) === ep) endpoints.delete(node);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      endpoints.clear();
      for (const timer of remoteTimers) timer.cancel();
      remoteTimers.clear();
      channel.close();
    },
  };
}
