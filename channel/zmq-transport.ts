import * as zmq from 'zeromq';
import { RealClock, type Clock } from '../nodes/runtime/clock';
import {
  TransportError,
  type Destination,
  type FrameHandler,
  type NodeId,
  type Transport,
} from '../nodes/runtime/transport';
import { control, decodeFrames, encodeFrames, MSG, recordSize, type EnvelopeRecord } from './envelope';

export interface ZmqTransportOptions {
  /** The broker's node endpoint, e.g. tcp://127.0.0.1:5555. */
  readonly endpoint: string;
  /** This node's id: becomes the ZeroMQ routing id the broker knows it by. */
  readonly node: NodeId;
  /** Stamps sentAt; a RealClock (epoch ms) so processes on one host share the timeline. */
  readonly clock?: Clock;
  readonly connectTimeoutMs?: number;
  /** Called when a frame handler throws; the default logs it. */
  readonly onHandlerError?: (error: unknown) => void;
}

export interface ZmqTransportStats {
  sent: number;
  received: number;
  /** Frames given to send() after close (the broker never sees them). */
  droppedClosed: number;
  /** Envelopes from the broker that could not be decoded. */
  malformed: number;
}

/** Sends of one burst leave as one envelope, up to this size. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * A node's transport to the channel broker over ZeroMQ (DEALER, routing id = node id). Node
 * code cannot tell it from the in-process network: send never blocks or throws, frames arrive
 * with their link-level sender and send time.
 */
export class ZmqTransport implements Transport {
  readonly stats: ZmqTransportStats = { sent: 0, received: 0, droppedClosed: 0, malformed: 0 };
  private readonly handlers = new Set<FrameHandler>();
  private pending: EnvelopeRecord[] = [];
  private writing = false;
  private writeArmed = false;
  private open = true;
  private receiving: Promise<void> | undefined;
  private welcome: ((outcome: Error | undefined) => void) | undefined;
  private drained: (() => void) | undefined;

  private constructor(
    readonly self: NodeId,
    private readonly socket: zmq.Dealer,
    private readonly clock: Clock,
    private readonly onHandlerError: (error: unknown) => void,
  ) {}

  /** Connects and waits for the broker to accept the identity. Rejects with TransportError. */
  static async connect(options: ZmqTransportOptions): Promise<ZmqTransport> {
    const clock = options.clock ?? new RealClock();
    const socket = new zmq.Dealer({ routingId: options.node, linger: 2000, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
    const t = new ZmqTransport(
      options.node,
      socket,
      clock,
      options.onHandlerError ?? ((err) => console.error(`zmq transport ${options.node}: frame handler threw:`, err)),
    );
    try {
      socket.connect(options.endpoint);
    } catch (err) {
      socket.close();
      throw new TransportError('CONNECT_FAILED', `connect ${options.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const outcome = new Promise<Error | undefined>((resolve) => (t.welcome = resolve));
    t.receiving = t.receiveLoop();
    await socket.send(control(MSG.HELLO));
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const timer = clock.setTimer(timeoutMs, () =>
      t.welcome?.(new TransportError('CONNECT_FAILED', `connect ${options.endpoint}: no answer from the broker within ${timeoutMs} ms`)),
    );
    const err = await outcome;
    timer.cancel();
    if (err) {
      t.open = false;
      socket.close();
      await t.receiving;
      throw err;
    }
    return t;
  }

  send(to: Destination, frame: Uint8Array): void {
    if (!this.open) {
      this.stats.droppedClosed++;
      return;
    }
    // The broker judges addressing; the envelope can only carry what fits its header.
    if (typeof to !== 'string' || to.length === 0 || to.length > 255 || !(frame instanceof Uint8Array)) {
      this.stats.droppedClosed++;
      return;
    }
    this.pending.push({ peer: to, sentAt: this.clock.now(), bytes: frame });
    this.stats.sent++;
    if (!this.writing && !this.writeArmed) {
      this.writeArmed = true;
      // Sends made in the same turn go out together.
      queueMicrotask(() => void this.write());
    }
  }

  onFrame(handler: FrameHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Flushes what was sent, says BYE, closes the socket. */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    if (this.writing || this.writeArmed) await new Promise<void>((resolve) => (this.drained = resolve));
    try {
      await this.socket.send(control(MSG.BYE));
    } catch {
      // The broker may be gone already.
    }
    this.socket.close();
    await this.receiving;
  }

  private async write(): Promise<void> {
    this.writeArmed = false;
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        let end = 0;
        let size = 1;
        while (end < batch.length && (end === 0 || size + recordSize(batch[end]!) <= MAX_BATCH_BYTES)) size += recordSize(batch[end++]!);
        this.pending = end === batch.length ? [] : batch.slice(end);
        await this.socket.send(encodeFrames(batch, 0, end));
      }
    } catch {
      // Socket closed under us: what is left cannot be sent.
      this.pending = [];
    } finally {
      this.writing = false;
      const drained = this.drained;
      this.drained = undefined;
      drained?.();
    }
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [msg] of this.socket) {
        if (!msg) continue;
        switch (msg[0]) {
          case MSG.FRAMES:
            try {
              decodeFrames(msg, (from, sentAt, bytes) => {
                this.stats.received++;
                const received = { frame: bytes, from, sentAt };
                for (const h of this.handlers) {
                  try {
                    h(received);
                  } catch (err) {
                    this.onHandlerError(err);
                  }
                }
              });
            } catch {
              this.stats.malformed++;
            }
            break;
          case MSG.WELCOME:
            this.welcome?.(undefined);
            this.welcome = undefined;
            break;
          case MSG.REFUSED:
            this.welcome?.(new TransportError('UNKNOWN_NODE', `broker refused "${this.self}": ${msg.subarray(1).toString('utf8')}`));
            this.welcome = undefined;
            break;
          default:
            this.stats.malformed++;
        }
      }
    } catch {
      // Socket closed.
    }
  }
}

/** Connects a node to the broker: the Transport nodes in other processes use. */
export const connectTransport = (options: ZmqTransportOptions): Promise<ZmqTransport> => ZmqTransport.connect(options);
