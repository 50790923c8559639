import * as zmq from 'zeromq';
import { RealClock, type Clock } from '../core/clock';
import type { NodeId } from '../core/transport';
import { Channel, type ChannelOptions } from './channel';
import type { ChannelControl } from './control';
import { startControlServer, type ControlServer, type ControlServerOptions } from './control-http';
import { serverCurve, startZap, type BrokerAuth } from './broker-auth';
import { BrokerPeers } from './broker-peers';
import { decodeFrames, encodeFrames, envelopeEnd, EnvelopeError, MSG, type EnvelopeRecord } from './envelope';

/** The channel's options on the real clock unless another is given, plus: */
export interface BrokerOptions extends Omit<ChannelOptions, 'clock'> {
  /** ZeroMQ endpoint for the nodes' DEALER sockets, e.g. tcp://127.0.0.1:5555 (port 0: any free port). */
  readonly endpoint: string;
  readonly clock?: Clock | undefined;
  /** HTTP control endpoint; omitted: none. */
  readonly control?: ControlServerOptions | undefined;
  /** Largest envelope accepted from a node; larger ones are dropped by ZeroMQ and never reach the broker. */
  readonly maxMessageBytes?: number | undefined;
  /** Nodes prove who they are (CURVE and the HELLO proof, broker-auth.ts); omitted: the routing id is believed. */
  readonly auth?: BrokerAuth | undefined;
  /** ZeroMQ heartbeat period (ms) with which the broker notices a dead peer; 0: none. Default 1000. */
  readonly heartbeatMs?: number | undefined;
}

export interface Broker {
  /** The bound endpoint (with the real port when 0 was asked). */
  readonly endpoint: string;
  /** http://host:port of the control API, when one was asked for. */
  readonly controlUrl: string | undefined;
  readonly control: ChannelControl;
  readonly channel: Channel;
  /** Nodes registered (HELLO, or frames without authentication) and not gone (BYE, no connection). */
  connected(): NodeId[];
  close(): Promise<void>;
}

/**
 * The channel emulator as a process: a ROUTER socket whose peers are the nodes (identity = their
 * ZeroMQ routing id, refused and counted when not in the topology or, with authentication, not
 * proven: broker-peers.ts), the channel core on the real clock, and optionally the HTTP control
 * API. Frames a node sends in one burst arrive as one envelope; frames for one node that become
 * due together leave as one envelope.
 */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const clock = options.clock ?? new RealClock();
  const heartbeatMs = options.heartbeatMs ?? 1000;
  // With authentication the broker's ZAP handler is its context's: one context per broker.
  const context = options.auth ? new zmq.Context() : undefined;
  const zap = context && options.auth ? await startZap(context, options.auth) : undefined;
  const router = new zmq.Router({
    ...(context ? { context } : {}),
    ...(options.auth ? serverCurve(options.auth) : {}),
    // a node that comes back (a replacement unit, a restarted host) takes its identity over
    handover: true,
    maxMessageSize: options.maxMessageBytes ?? 16 * 1024 * 1024,
    receiveHighWaterMark: 100_000,
    sendHighWaterMark: 100_000,
    linger: 0,
    // A send to a node with no connection fails, so the broker forgets it until it says HELLO again.
    mandatory: true,
    ...(heartbeatMs > 0 ? { heartbeatInterval: heartbeatMs, heartbeatTimeout: 3 * heartbeatMs } : {}),
  });
  try {
    await router.bind(options.endpoint);
  } catch (err) {
    router.close();
    await zap?.close();
    throw err;
  }
  const endpoint = router.lastEndpoint ?? options.endpoint;
  const ids = new Map<NodeId, Buffer>();
  const outbox = new Map<NodeId, EnvelopeRecord[]>();
  const ready: [Buffer, Buffer][] = [];
  let flushArmed = false;
  let writing = false;
  let closed = false;

  const idOf = (node: NodeId): Buffer => {
    let b = ids.get(node);
    if (!b) ids.set(node, (b = Buffer.from(node, 'latin1')));
    return b;
  };

  const write = async (): Promise<void> => {
    writing = true;
    try {
      while (ready.length > 0 && !closed) {
        const [to, msg] = ready.shift()!;
        try {
          await router.send([to, msg]);
        } catch (err) {
          if (closed || (err as { code?: string }).code !== 'EHOSTUNREACH') throw err;
          // No connection for this node (it died, or the broker restarted and it has not come back):
          // what the message carried is lost in the gap and counted.
          lostInGap(to.toString('latin1'), msg);
        }
      }
    } catch {
      // Closing the socket ends the writer.
    } finally {
      writing = false;
    }
  };

  const enqueueMessage = (to: NodeId | Buffer, msg: Buffer): void => {
    ready.push([typeof to === 'string' ? idOf(to) : to, msg]);
    if (!writing) void write();
  };

  const flush = (): void => {
    if (!flushArmed) return;
    flushArmed = false;
    for (const [to, records] of outbox)
      for (let start = 0; start < records.length;) {
        const end = envelopeEnd(records, start);
        enqueueMessage(to, encodeFrames(records, start, end));
        start = end;
      }
    outbox.clear();
  };

  const channel = new Channel(
    { ...options, clock },
    {
      deliver(to, received) {
        if (!peers.has(to)) {
          // Not registered (never came, gone, or not back after a restart): counted, broadcasts too.
          channel.reject('not-registered', received.from);
          return true;
        }
        let list = outbox.get(to);
        if (!list) outbox.set(to, (list = []));
        list.push({
          peer: received.from,
          sentAt: received.sentAt,
          bytes: received.frame,
          ...(received.attack ? { attack: received.attack } : {}),
        });
        if (!flushArmed) {
          flushArmed = true;
          // Deliveries due from a timer leave after the current turn, together.
          setImmediate(flush);
        }
        return true;
      },
    },
  );

  const peers = new BrokerPeers({
    topology: options.topology,
    auth: options.auth,
    reject: (reason, from) => channel.reject(reason, from),
    reply: (to, msg) => enqueueMessage(to, msg),
  });

  /** A message that found no connection: its frames are counted as lost (the sender's), the node forgotten. */
  const lostInGap = (id: NodeId, msg: Buffer): void => {
    peers.lost(id);
    if (msg[0] !== MSG.FRAMES) return;
    try {
      decodeFrames(msg, (peer) => channel.reject('not-registered', peer));
    } catch {
      // The broker encoded it: it decodes.
    }
  };

  const handle = (idBuf: Buffer, msg: Buffer | undefined): void => {
    const id = idBuf.toString('latin1');
    if (!peers.known(id, idBuf, msg)) return;
    switch (msg?.[0]) {
      case MSG.FRAMES: {
        const refusal = peers.refusal(id, idBuf);
        try {
          decodeFrames(msg, (peer, sentAt, bytes, attack) => {
            if (refusal) channel.reject(refusal, id);
            else channel.offer(id, peer, bytes, { sentAt: Number.isFinite(sentAt) ? sentAt : clock.now(), attack });
          });
        } catch (err) {
          if (!(err instanceof EnvelopeError)) throw err;
          channel.reject('malformed-envelope', id);
        }
        // What this envelope made due leaves now, batched per receiver, without waiting a turn.
        flush();
        return;
      }
      case MSG.HELLO:
        peers.hello(id, idBuf, msg);
        return;
      case MSG.BYE:
        peers.bye(id);
        return;
      default:
        channel.reject('malformed-envelope', id);
    }
  };

  // A client that fails the CURVE handshake (no key, or one the ZAP handler does not know) never gets a routing id.
  const watching = options.auth
    ? (async () => {
        try {
          for await (const event of router.events)
            if (event.type.startsWith('handshake:error'))
              channel.reject('unauthenticated', 'address' in event ? String(event.address) : '?');
        } catch {
          // The socket was closed under the loop.
        }
      })()
    : undefined;

  const receiving = (async () => {
    try {
      for await (const [id, msg] of router) {
        try {
          if (id) handle(id, msg);
        } catch {
          // One bad envelope must not stop the broker; it has been counted where it could be.
        }
      }
    } catch {
      // The socket was closed under the loop.
    }
  })();

  let controlServer: ControlServer | undefined;
  try {
    if (options.control) controlServer = await startControlServer(channel.control, options.control);
  } catch (err) {
    router.close();
    channel.close();
    await zap?.close();
    throw err;
  }

  return {
    endpoint,
    controlUrl: controlServer?.url,
    control: channel.control,
    channel,
    connected: () => peers.list(),
    async close() {
      if (closed) return;
      closed = true;
      await controlServer?.close();
      channel.close();
      router.close();
      await receiving;
      await watching;
      await zap?.close();
    },
  };
}
