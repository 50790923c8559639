import { Topology } from '../../channel/topology';
import type { Clock } from '../../nodes/runtime/clock';
import type { Random } from '../../nodes/runtime/random';
import {
  SEGMENT_BROADCAST,
  TransportError,
  type Destination,
  type FrameHandler,
  type Network,
  type NodeId,
  type Transport,
} from '../../nodes/runtime/transport';
import { phyBytes, type SegmentAirtime } from '../../nodes/tls/segment-airtime';

/**
 * A small stand-in for the channel emulator, for the smgw-tls suites: one FIFO half-duplex medium
 * per PLC segment (serialization at a bit rate, PHY overhead per fragment, drop-tail queue,
 * optional Bernoulli frame loss), WAN links with a fixed latency. Frames travel only between
 * topology neighbours. `tap` sees every frame on a PLC segment and may drop it (returns false).
 */
export interface MemorySegment extends SegmentAirtime {
  readonly queueFrames: number;
  readonly lossRate: number;
  readonly latencyMs: number;
}

export const FAST_SEGMENT: MemorySegment = { bitRate: 0, overheadBytes: 0, maxPsdu: null, queueFrames: 1_000_000, lossRate: 0, latencyMs: 1 };

export interface TappedFrame {
  readonly from: NodeId;
  readonly to: Destination;
  readonly bytes: Uint8Array;
  readonly at: number;
}

export class MemoryNetwork implements Network {
  readonly segmentBytes = new Map<NodeId, number>();
  /** Per segment: ms the medium was busy, and frames dropped at the full queue. */
  readonly busyMs = new Map<NodeId, number>();
  readonly queueDrops = new Map<NodeId, number>();
  tap: ((frame: TappedFrame) => boolean) | undefined;
  /** When set, every PLC transmission as [start, end, bytes, from]. */
  airLog: Array<[number, number, number, NodeId]> | undefined;
  private readonly handlers = new Map<NodeId, Set<FrameHandler>>();
  private readonly busyUntil = new Map<NodeId, number>();
  private readonly queued = new Map<NodeId, number>();

  constructor(
    private readonly topology: Topology,
    private readonly clock: Clock,
    private readonly segment: MemorySegment,
    private readonly random: Random,
    private readonly wanLatencyMs = 5,
  ) {}

  attach(node: NodeId): Transport {
    if (!this.topology.has(node)) throw new TransportError('UNKNOWN_NODE', `memory network: unknown node ${node}`);
    if (this.handlers.has(node)) throw new TransportError('ALREADY_ATTACHED', `memory network: ${node} attached twice`);
    const handlers = new Set<FrameHandler>();
    this.handlers.set(node, handlers);
    let open = true;
    return {
      self: node,
      send: (to, frame) => {
        if (open) this.send(node, to, frame);
      },
      onFrame: (handler) => {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
      close: async () => {
        open = false;
        handlers.clear();
      },
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }

  /** Sends a frame as if `from` had (an attacker on the segment can claim any sender). */
  inject(from: NodeId, to: Destination, frame: Uint8Array): void {
    this.send(from, to, frame);
  }

  private send(from: NodeId, to: Destination, frame: Uint8Array): void {
    const sentAt = this.clock.now();
    const receivers = to === SEGMENT_BROADCAST ? [...this.topology.tnsOf(from)] : [to];
    if (to !== SEGMENT_BROADCAST && !this.topology.linkBetween(from, to)) return;
    const link = to === SEGMENT_BROADCAST ? { link: { kind: 'plc' as const, dc: from } } : this.topology.linkBetween(from, to)!;
    if (link.link.kind === 'wan') {
      this.clock.setTimer(this.wanLatencyMs, () => this.deliver(receivers, frame, from, sentAt));
      return;
    }
    const dc = link.link.dc;
    if (this.tap && !this.tap({ from, to, bytes: frame, at: sentAt })) return;
    const waiting = this.queued.get(dc) ?? 0;
    if (waiting >= this.segment.queueFrames) {
      this.queueDrops.set(dc, (this.queueDrops.get(dc) ?? 0) + 1);
      return;
    }
    this.queued.set(dc, waiting + 1);
    const air = this.segment.bitRate > 0 ? (phyBytes(this.segment, frame.length) * 8000) / this.segment.bitRate : 0;
    const start = Math.max(sentAt, this.busyUntil.get(dc) ?? 0);
    const end = start + air;
    this.busyUntil.set(dc, end);
    this.busyMs.set(dc, (this.busyMs.get(dc) ?? 0) + air);
    this.airLog?.push([start, end, frame.length, from]);
    this.segmentBytes.set(dc, (this.segmentBytes.get(dc) ?? 0) + frame.length);
    const lost = this.random.chance(this.segment.lossRate);
    this.clock.setTimer(end - sentAt, () => {
      this.queued.set(dc, (this.queued.get(dc) ?? 1) - 1);
      if (!lost) this.clock.setTimer(this.segment.latencyMs, () => this.deliver(receivers, frame, from, sentAt));
    });
  }

  private deliver(receivers: readonly NodeId[], frame: Uint8Array, from: NodeId, sentAt: number): void {
    for (const r of receivers) for (const h of this.handlers.get(r) ?? []) h({ frame, from, sentAt });
  }
}

export { Topology };
