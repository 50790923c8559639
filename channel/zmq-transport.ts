import * as zmq from 'zeromq';
import { RealClock, type Clock } from '../core/clock';
import { NO_METRICS, type Metrics } from '../core/metrics';
import {
  TransportError,
  type Destination,
  type FrameHandler,
  type DepartureListener,
  type FrameTrace,
  type Network,
  type NodeId,
  type Transport,
} from '../core/transport';
import { clientCurve, helloProof, type NodeAuth } from './broker-auth';
import { control, decodeFrames, encodeFrames, envelopeEnd, MSG, type EnvelopeRecord } from './envelope';

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
  /** Frames refused before they reach the broker (sent after close, unsendable) count here as channel_rejected. */
  readonly metrics?: Metrics;
  /** This node's keys and the broker's public key when the broker authenticates (broker-auth.ts). */
  readonly auth?: NodeAuth | undefined;
  /** ZeroMQ heartbeat period (ms) with which the node notices a dead broker; 0: none. Default 1000. */
  readonly heartbeatMs?: number | undefined;
}

export interface ZmqTransportStats {
  sent: number;
  received: number;
  /** Frames given to send() after close (the broker never sees them). */
  droppedClosed: number;
  /** Frames send() refused because an envelope cannot carry them: destination not 1-255 chars, bytes not a Uint8Array. */
  droppedUnsendable: number;
  /** Envelopes from the broker that could not be decoded. */
  malformed: number;
  /** HELLOs said again: after a reconnection, or when the broker asked (it restarted). */
  rehellos: number;
}

/**
 * A node's transport to the channel broker over ZeroMQ (DEALER, routing id = node id). Node
 * code cannot tell it from the in-process network: send never blocks or throws, frames arrive
 * with their link-level sender and send time.
 */
export class ZmqTransport implements Transport {
  readonly stats: ZmqTransportStats = {
    sent: 0,
    received: 0,
    droppedClosed: 0,
    droppedUnsendable: 0,
    malformed: 0,
    rehellos: 0,
  };
  /** Resolves when the broker accepted this node's identity; rejects with TransportError otherwise. */
  readonly ready: Promise<void>;
  private readonly handlers = new Set<FrameHandler>();
  /** HELLO and BYE go through the writer too: a ZeroMQ socket allows one send at a time. */
  private readonly controlQueue: Buffer[] = [];
  private pending: EnvelopeRecord[] = [];
  private writing = false;
  private writeArmed = false;
  private open = true;
  private readonly receiving: Promise<void>;
  private readonly watching: Promise<void>;
  private welcome: ((outcome: Error | undefined) => void) | undefined;
  private drained: (() => void) | undefined;
  private readonly socket: zmq.Dealer;
  private readonly clock: Clock;
  private readonly onHandlerError: (error: unknown) => void;
  private readonly metrics: Metrics;
  private readonly hello: Buffer;
  private readonly curve: boolean;
  /** The broker has welcomed this node once: later connections are reconnections. */
  private welcomed = false;
  readonly self: NodeId;

  /**
   * Starts connecting and returns at once (for Network.attach): frames sent before the broker
   * answers wait in the socket and follow the HELLO. `ready` tells how it went.
   */
  constructor(options: ZmqTransportOptions) {
    this.self = options.node;
    this.clock = options.clock ?? new RealClock();
    this.metrics = options.metrics ?? NO_METRICS;
    this.onHandlerError = options.onHandlerError ?? ((err) => console.error(`zmq transport ${options.node}: frame handler threw:`, err));
    const heartbeatMs = options.heartbeatMs ?? 1000;
    this.curve = options.auth !== undefined;
    this.socket = new zmq.Dealer({
      routingId: options.node,
      linger: 2000,
      sendHighWaterMark: 100_000,
      receiveHighWaterMark: 100_000,
      ...(options.auth ? clientCurve(options.auth) : {}),
      ...(heartbeatMs > 0 ? { heartbeatInterval: heartbeatMs, heartbeatTimeout: 3 * heartbeatMs } : {}),
    });
    this.hello = options.auth ? Buffer.concat([Buffer.of(MSG.HELLO), helloProof(options.node, options.auth)]) : control(MSG.HELLO);
    const outcome = new Promise<Error | undefined>((resolve) => (this.welcome = resolve));
    try {
      this.socket.connect(options.endpoint);
    } catch (err) {
      this.welcome?.(
        new TransportError('CONNECT_FAILED', `connect ${options.endpoint}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    this.receiving = this.receiveLoop();
    this.watching = this.watchConnections();
    this.queueControl(this.hello);
    const timeoutMs = options.connectTimeoutMs ?? 5000;
    const timer = this.clock.setTimer(timeoutMs, () =>
      this.welcome?.(new TransportError('CONNECT_FAILED', `connect ${options.endpoint}: no answer from the broker within ${timeoutMs} ms`)),
    );
    this.ready = outcome.then((err) => {
      timer.cancel();
      this.welcome = undefined;
      if (err) {
        void this.close();
        throw err;
      }
    });
    // Callers of attach() may never look at ready; the refusal is still reported through close().
    this.ready.catch(() => {});
  }

  /** Connects and waits for the broker to accept the identity. Rejects with TransportError. */
  static async connect(options: ZmqTransportOptions): Promise<ZmqTransport> {
    const t = new ZmqTransport(options);
    await t.ready;
    return t;
  }

  /**
   * The broker's medium is in another process: `departed` hears when the frame is handed over
   * (core/transport.ts), so a stream on it times from its enqueueing, not from its departure.
   */
  send(to: Destination, frame: Uint8Array, trace?: FrameTrace, departed?: DepartureListener): void {
    departed?.(this.clock.now());
    if (!this.open) {
      this.stats.droppedClosed++;
      this.metrics.emit('channel_rejected', { count: 1, from: this.self }, { reason: 'closed' });
      return;
    }
    // The broker judges addressing; the envelope can only carry what fits its header.
    if (typeof to !== 'string' || to.length === 0 || to.length > 255 || !(frame instanceof Uint8Array)) {
      this.stats.droppedUnsendable++;
      this.metrics.emit('channel_rejected', { count: 1, from: this.self }, { reason: 'malformed-envelope' });
      return;
    }
    this.pending.push({
      peer: to,
      sentAt: trace?.sentAt ?? this.clock.now(),
      bytes: frame,
      ...(trace?.attack ? { attack: trace.attack } : {}),
    });
    this.stats.sent++;
    this.kick();
  }

  onFrame(handler: FrameHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** False once close() was called. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Flushes what was sent, says BYE, closes the socket. */
  async close(): Promise<void> {
    if (!this.open) return this.receiving;
    this.open = false;
    this.welcome?.(new TransportError('CONNECT_FAILED', `transport of "${this.self}" closed before the broker answered`));
    this.queueControl(control(MSG.BYE));
    if (this.writing || this.writeArmed) await new Promise<void>((resolve) => (this.drained = resolve));
    this.socket.close();
    await this.receiving;
    await this.watching;
  }

  /** Says HELLO again (the broker restarted or asked), ahead of the frames waiting to go. */
  private rehello(): void {
    if (!this.open) return;
    this.stats.rehellos++;
    this.queueControl(this.hello);
  }

  /** Every connection after the first is a reconnection: the broker may not know this node any more. */
  private async watchConnections(): Promise<void> {
    try {
      for await (const event of this.socket.events)
        // With CURVE a connection is usable once its handshake succeeded; without, once connected.
        // A connection after the broker's welcome is a reconnection: the broker may not know this node.
        if (event.type === (this.curve ? 'handshake' : 'connect') && this.welcomed) this.rehello();
    } catch {
      // Socket closed.
    }
  }

  private queueControl(msg: Buffer): void {
    this.controlQueue.push(msg);
    this.kick();
  }

  private kick(): void {
    if (this.writing || this.writeArmed) return;
    this.writeArmed = true;
    // Sends made in the same turn go out together.
    queueMicrotask(() => void this.write());
  }

  private async write(): Promise<void> {
    this.writeArmed = false;
    this.writing = true;
    try {
      while (this.controlQueue.length > 0 || this.pending.length > 0) {
        // HELLO first, then frames, then BYE: a control message waits for the frames queued before it.
        if (this.controlQueue.length > 0 && (this.pending.length === 0 || this.controlQueue[0]![0] === MSG.HELLO)) {
          await this.socket.send(this.controlQueue.shift()!);
          continue;
        }
        const batch = this.pending;
        const end = envelopeEnd(batch);
        this.pending = end === batch.length ? [] : batch.slice(end);
        await this.socket.send(encodeFrames(batch, 0, end));
      }
    } catch {
      // Socket closed under us: what is left cannot be sent.
      this.pending = [];
      this.controlQueue.length = 0;
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
              decodeFrames(msg, (from, sentAt, bytes, attack) => {
                this.stats.received++;
                const received = { frame: bytes, from, sentAt, ...(attack ? { attack } : {}) };
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
            this.welcomed = true;
            this.welcome?.(undefined);
            break;
          case MSG.HELLO_AGAIN:
            this.rehello();
            break;
          case MSG.REFUSED:
            this.welcome?.(new TransportError('UNKNOWN_NODE', `broker refused "${this.self}": ${msg.subarray(1).toString('utf8')}`));
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

export interface ZmqNetworkOptions {
  readonly endpoint: string;
  /** When given, attach() refuses unknown nodes at once, as the in-process network does. */
  readonly topology?: { has(node: NodeId): boolean };
  readonly clock?: Clock;
  readonly connectTimeoutMs?: number;
  /** Each node's keys when the broker authenticates (broker-auth.ts loadNodeAuth). */
  readonly authFor?: ((node: NodeId) => NodeAuth) | undefined;
}

export interface ZmqNetwork extends Network {
  attach(node: NodeId): ZmqTransport;
  /** Resolves when the broker accepted every attached node; rejects with the first refusal. */
  ready(): Promise<void>;
}

/** The broker seen as a Network: the same factory shape as createEmulatedNetwork, for nodes in other processes. */
export function createZmqNetwork(options: ZmqNetworkOptions): ZmqNetwork {
  const attached = new Map<NodeId, ZmqTransport>();
  return {
    attach(node) {
      if (options.topology && !options.topology.has(node))
        throw new TransportError('UNKNOWN_NODE', `attach: node "${node}" is not in the topology`);
      // a node whose transport closed may attach again (a replacement unit, as on the in-process network)
      if (attached.get(node)?.isOpen) throw new TransportError('ALREADY_ATTACHED', `attach: node "${node}" is already attached`);
      const t = new ZmqTransport({
        endpoint: options.endpoint,
        node,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        ...(options.authFor ? { auth: options.authFor(node) } : {}),
      });
      attached.set(node, t);
      return t;
    },
    async ready() {
      await Promise.all([...attached.values()].map((t) => t.ready));
    },
    async close() {
      await Promise.all([...attached.values()].map((t) => t.close()));
      attached.clear();
    },
  };
}
