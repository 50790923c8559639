import type { DepartureListener, Destination, NodeId, ReceivedFrame } from '../core/transport';
import type { Direction, LinkId } from '../core/topology';

/**
 * Names a frame's message class from its bytes, for matchers, taps and metrics; 'unknown' for
 * anything it cannot read. The channel is handed one (bench/ passes the protocol's
 * peekClassName) and reads nothing else of a frame, so it stays independent of any protocol.
 */
export type FrameClassifier = (bytes: Uint8Array) => string;

/**
 * A frame on the emulated wire, as interceptors, taps and the medium see it. Immutable: an
 * interceptor that changes a frame forwards a modified copy.
 */
export interface WireFrame {
  readonly link: LinkId;
  /** linkName(link), e.g. "plc:dc1". */
  readonly linkName: string;
  readonly direction: Direction;
  /** Link-level sender (claimed, for injected frames). */
  readonly from: NodeId;
  /** A neighbour of `from`, or SEGMENT_BROADCAST from a DC. */
  readonly to: Destination;
  readonly bytes: Uint8Array;
  /** The channel's classifier applied to bytes: the message class in the clear, or 'unknown'. */
  readonly className: string;
  /** Clock time the sender (or the attacker) handed the frame to the network. */
  readonly sentAt: number;
  /** Id of the interceptor that injected this frame; it never sees its own injections again. */
  readonly origin?: string;
  /**
   * Label of the attack that forged, replayed, altered or held this frame (an interceptor id, an
   * attacker's label, or 'control'). It travels with the frame to the receiver (ReceivedFrame.attack)
   * so that refusals are attributed to attacks; it is bench bookkeeping the protocol never reads.
   */
  readonly attack?: string;
  /** Set on frames of a TCP bridge stream: delivered to this sink instead of a node. */
  readonly sink?: FrameSink;
  /** The sender's departure listener (Transport.send): copies of the frame share it, it hears once. */
  readonly departure?: Departure;
}

/**
 * When a frame left its sender, told once to the sender's listener (core/transport.ts
 * DepartureListener): when the medium starts transmitting it, when the sender's queue refuses it,
 * or when an interceptor takes it off the wire before the medium (it had left the sender then).
 * Interceptors' copies (duplicates, replays) share the object, so only the first counts.
 */
export class Departure {
  /** The frame reached its medium's queue: the medium tells its departure. */
  queued = false;
  private told = false;

  constructor(private readonly listener: DepartureListener) {}

  left(at: number): void {
    if (this.told) return;
    this.told = true;
    this.listener(at);
  }
}

/**
 * Receiver of a byte stream carried through a link (the TCP bridge, bridge-stream.ts). Stream
 * frames meet the link like any frame (queue, retries, loss, interceptors); the bridge's TCP
 * sends again what the link lost.
 */
export interface FrameSink {
  deliver(received: ReceivedFrame): void;
  /** The frame left the wire without being delivered (loss beyond retries, a full queue, a drop or a jam). */
  dropped(): void;
  /** True once the stream's connection is gone: its frames still waiting are withdrawn from the medium. */
  readonly closed?: boolean;
}
