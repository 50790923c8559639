import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { NodeId, ReceivedFrame } from '../core/transport';
import type { Channel } from './channel';
import type { FrameSink } from './frame';

export interface TcpBridgeOptions {
  readonly channel: Channel;
  readonly listen: { readonly host: string; readonly port: number };
  readonly upstream: { readonly host: string; readonly port: number };
  /** The node whose place the TCP client takes (its bytes travel from here)... */
  readonly client: NodeId;
  /** ...and the neighbour whose place the upstream server takes. */
  readonly server: NodeId;
  /** Largest frame a stream is cut into (further capped by the link's maxFrameBytes). Default 1024. */
  readonly chunkBytes?: number;
  /** Bytes in flight per direction before the reading socket is paused. Default 64 KiB. */
  readonly highWaterBytes?: number;
}

export interface TcpBridge {
  readonly host: string;
  readonly port: number;
  readonly stats: { connections: number; bytesUp: number; bytesDown: number };
  close(): Promise<void>;
}

export class BridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BridgeError';
  }
}

/**
 * Carries a TCP byte stream through an emulated link, toxiproxy style: bytes from the client
 * travel client -> server on the link, the upstream's answers server -> client, each direction
 * shaped by the link's profile and visible to its interceptors. The link retransmits stream
 * frames as TCP would (loss costs airtime, not bytes); the reading side is paused while too many
 * bytes are in flight, so the link's rate is what the TCP peers see.
 */
export async function startTcpBridge(options: TcpBridgeOptions): Promise<TcpBridge> {
  const { channel, client, server } = options;
  const route = channel.routeBetween(client, server);
  if (!route) throw new BridgeError(`bridge: "${server}" is not a neighbour of "${client}"`);
  const highWater = options.highWaterBytes ?? 64 * 1024;
  const stats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const sockets = new Set<Socket>();

  /** One direction of one connection: reads `source`, carries the bytes from -> to, writes `sink`. */
  const pipe = (source: Socket, target: Socket, from: NodeId, to: NodeId, count: (n: number) => void) => {
    let inFlight = 0;
    let ended = false;
    const settle = (n: number): void => {
      inFlight -= n;
      if (inFlight < highWater / 2 && source.isPaused()) source.resume();
      if (ended && inFlight === 0) target.end();
    };
    source.on('data', (data: Buffer) => {
      const max = Math.max(1, Math.min(options.chunkBytes ?? 1024, channel.profileOf(route.link)?.maxFrameBytes ?? 1024));
      for (let o = 0; o < data.length; o += max) {
        const chunk = data.subarray(o, Math.min(data.length, o + max));
        inFlight += chunk.length;
        const sink: FrameSink = {
          deliver: (r: ReceivedFrame) => {
            count(r.frame.length);
            if (!target.destroyed) target.write(r.frame);
            settle(chunk.length);
          },
          dropped: () => settle(chunk.length),
        };
        channel.offer(from, to, chunk, undefined, sink);
      }
      if (inFlight > highWater) source.pause();
    });
    source.on('end', () => {
      ended = true;
      if (inFlight === 0) target.end();
    });
  };

  // Half-open: a client that has sent everything still waits for the answer to come through the link.
  const tcp = createServer({ allowHalfOpen: true }, (downstream) => {
    stats.connections++;
    const upstream = connect({ port: options.upstream.port, host: options.upstream.host, allowHalfOpen: true });
    sockets.add(downstream);
    sockets.add(upstream);
    const teardown = (): void => {
      downstream.destroy();
      upstream.destroy();
      sockets.delete(downstream);
      sockets.delete(upstream);
    };
    downstream.on('error', teardown);
    upstream.on('error', teardown);
    downstream.on('close', () => sockets.delete(downstream));
    upstream.on('close', () => sockets.delete(upstream));
    pipe(downstream, upstream, client, server, (n) => (stats.bytesUp += n));
    pipe(upstream, downstream, server, client, (n) => (stats.bytesDown += n));
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', (err) =>
      reject(new BridgeError(`bridge: cannot listen on ${options.listen.host}:${options.listen.port}: ${err.message}`)),
    );
    tcp.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const addr = tcp.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  };
}
