import type { Topology } from '../../channel/topology';
import type { Clock } from '../../nodes/runtime/clock';
import { SEGMENT_BROADCAST, type FrameHandler, type Network, type NodeId, type Transport } from '../../nodes/runtime/transport';

/** Temporary zero-delay network for smoke tests until channel/ lands. */
export function directNetwork(topology: Topology, clock: Clock): Network & { frames: Array<{ from: NodeId; to: NodeId; bytes: Uint8Array }>; deliver(from: NodeId, to: NodeId, frame: Uint8Array): void } {
  const handlers = new Map<NodeId, FrameHandler>();
  const frames: Array<{ from: NodeId; to: NodeId; bytes: Uint8Array }> = [];
  const deliver = (from: NodeId, to: NodeId, frame: Uint8Array, sentAt: number) => {
    frames.push({ from, to, bytes: frame });
    clock.setTimer(1, () => handlers.get(to)?.({ frame, from, sentAt }));
  };
  return {
    frames,
    deliver: (from, to, frame) => deliver(from, to, frame, clock.now()),
    attach(node: NodeId): Transport {
      return {
        self: node,
        send(to, frame, trace) {
          const sentAt = trace?.sentAt ?? clock.now();
          if (to === SEGMENT_BROADCAST) for (const tn of topology.tnsOf(node)) deliver(node, tn, frame, sentAt);
          else if (topology.linkBetween(node, to)) deliver(node, to, frame, sentAt);
        },
        onFrame(h) { handlers.set(node, h); return () => handlers.delete(node); },
        async close() {},
      };
    },
    async close() {},
  };
}
