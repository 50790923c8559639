import * as zmq from 'zeromq';
import { RealClock, type Clock } from '../core/clock';
import type { NodeId } from '../core/transport';
import { Channel, type ChannelOptions } from './channel';
import type { ChannelControl } from './control';
import { startControlServer, type ControlServer, type ControlServerOptions } from './control-http';
import { control, decodeFrames, encodeFrames, envelopeEnd, EnvelopeError, MSG, type EnvelopeRecord } from './envelope';

/** The channel's options on the real clock unless another is given, plus: */
export interface BrokerOptions extends Omit<ChannelOptions, 'clock'> {
  /** ZeroMQ endpoint for the nodes' DEALER sockets, e.g. tcp://127.0.0.1:5555 (port 0: any free port). */
  readonly endpoint: string;
  readonly clock?: Clock | undefined;
  /** HTTP control endpoint; omitted: none. */
  readonly control?: ControlServerOptions | undefined;
  /** Largest envelope accepted from a node; larger ones are dropped by ZeroMQ and never reach the broker. */
  readonly maxMessageBytes?: number | undefined;
}

export interface Broker {
  /** The bound endpoint (with the real port when 0 was asked). */
  readonly endpoint: string;
  /** http://host:port of the control API, when one was asked for. */
  readonly controlUrl: string | undefined;
  readonly control: ChannelControl;
  readonly channel: Channel;
  /** Nodes that said HELLO (or sent frames) and have not said BYE. */
  connected(): NodeId[];
  close(): Promise<void>;
}

/**
 * The channel emulator as a process: a ROUTER socket whose peers are the nodes (identity = their
 * ZeroMQ routing id, refused and counted when not in the topology), the channel core on the real
 * clock, and optionally the HTTP control API. Frames a node sends in one burst arrive as one
 * envelope; frames for one node that become due together leave as one envelope.
 */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const clock = options.clock ?? new RealClock();
  const router = new zmq.Router({
    maxMessageSize: options.maxMessageBytes ?? 16 * 1024 * 1024,
    receiveHighWaterMark: 100_000,
    sendHighWaterMark: 100_000,
    linger: 0,
  });
  await router.bind(options.endpoint);
  const endpoint = router.lastEndpoint ?? options.endpoint;

  const connected = new Set<NodeId>();
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
      while (ready.length > 0 && !closed) await router.send(ready.shift()!);
    } catch {
      // Closing the socket ends the writer; nothing else makes send fail with linger 0 and no mandatory routing.
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
        if (!connected.has(to)) return false;
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

  const handle = (idBuf: Buffer, msg: Buffer | undefined): void => {
    const id = idBuf.toString('latin1');
    if (!options.topology.has(id)) {
      channel.reject('unknown-identity', id.slice(0, 64));
      if (msg?.[0] === MSG.HELLO) enqueueMessage(idBuf, control(MSG.REFUSED, `identity "${id.slice(0, 64)}" is not in the topology`));
      return;
    }
    switch (msg?.[0]) {
      case MSG.FRAMES:
        connected.add(id);
        try {
          decodeFrames(msg, (peer, sentAt, bytes, attack) =>
            channel.offer(id, peer, bytes, Number.isFinite(sentAt) ? sentAt : clock.now(), undefined, attack),
          );
        } catch (err) {
          if (!(err instanceof EnvelopeError)) throw err;
          channel.reject('malformed-envelope', id);
        }
        // What this envelope made due leaves now, batched per receiver, without waiting a turn.
        flush();
        return;
      case MSG.HELLO:
        connected.add(id);
        enqueueMessage(id, control(MSG.WELCOME));
        return;
      case MSG.BYE:
        connected.delete(id);
        return;
      default:
        channel.reject('malformed-envelope', id);
    }
  };

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
    throw err;
  }

  return {
    endpoint,
    controlUrl: controlServer?.url,
    control: channel.control,
    channel,
    connected: () => [...connected],
    async close() {
      if (closed) return;
      closed = true;
      await controlServer?.close();
      channel.close();
      router.close();
      await receiving;
    },
  };
}
