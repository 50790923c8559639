/**
 * How a node puts frames on the wire. Every transport (the in-process emulated network, the
 * ZeroMQ client of the channel broker) implements this one interface, so a node cannot tell
 * which one it runs on.
 *
 * Addressing is physical, hop by hop, as on the real grid: a TN can only reach its DC over the
 * PLC segment, a DC its TNs and the HES over its WAN link. End-to-end addressing (which TN a
 * confidential message is for) lives inside the frame, and the DC relays by reading it.
 */
export type NodeId = string;

/** Destination of a DC's transmission that every TN on its PLC segment receives. */
export const SEGMENT_BROADCAST = '*';
export type Destination = NodeId | typeof SEGMENT_BROADCAST;

export interface ReceivedFrame {
  /** The bytes as they came off the medium (possibly tampered with, replayed or forged). */
  frame: Uint8Array;
  /**
   * The link-level sender. On the emulated wire an attacker can inject frames claiming any
   * sender, so the protocol authenticates content and never trusts this for security.
   */
  from: NodeId;
  /**
   * Clock time at which the frame was handed to the wire by its sender (or by the attacker who
   * injected or replayed it). A measurement aid of the bench's emulated wire, like a lab tap with
   * a common clock: it gives command-to-relay latencies. The protocol never uses it.
   */
  sentAt: number;
  /**
   * Name of the attack (interceptor or campaign step) that forged, replayed or altered this frame,
   * if any. Like sentAt, a measurement aid of the bench (it lets rejections be attributed to
   * attacks); the protocol never uses it.
   */
  attack?: string;
}

/** Measurement aids a relaying node passes along so they follow a frame across hops. */
export interface FrameTrace {
  readonly sentAt?: number | undefined;
  readonly attack?: string | undefined;
}

export type FrameHandler = (received: ReceivedFrame) => void;

/**
 * Told once when a frame leaves its sender, with the clock time it left: it started transmission on
 * the medium (after waiting in the sender's own transmit queue), or it was discarded before it
 * could (the sender's queue was full, the network refused it). A frame an attacker holds or drops
 * has left: the attacker sits on the wire. A reliable stream starts its retransmission timer and
 * takes its round-trip samples from here, as a host's TCP does from the moment a segment leaves
 * the host, not from the moment it was queued (README.md, "The TLS baseline"). A transport
 * that cannot see the medium (the ZeroMQ client of a broker) tells it when it hands the frame over.
 */
export type DepartureListener = (at: number) => void;

export interface Transport {
  readonly self: NodeId;
  /**
   * Queues a frame for transmission. Never blocks and never throws: a frame that cannot be
   * delivered (lost, queue full, not a neighbour, transport closed) is dropped and counted by
   * the network that carries it. `departed` hears when the frame leaves the sender.
   */
  send(to: Destination, frame: Uint8Array, trace?: FrameTrace, departed?: DepartureListener): void;
  /** Registers the receiver of incoming frames; returns a function that unregisters it. */
  onFrame(handler: FrameHandler): () => void;
  close(): Promise<void>;
}

/** Something that hands out transports to the nodes of a topology. */
export interface Network {
  attach(node: NodeId): Transport;
  close(): Promise<void>;
}

/** Raised by Network.attach for a node the topology does not know or one attached twice. */
export class TransportError extends Error {
  constructor(
    readonly code: 'UNKNOWN_NODE' | 'ALREADY_ATTACHED' | 'CONNECT_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
