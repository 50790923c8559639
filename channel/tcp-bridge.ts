import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { NodeId } from '../core/transport';
import type { RtoBounds } from '../core/rto';
import { StreamDirection, type BridgeStats, type BridgeTcpOptions } from './bridge-stream';
import type { Channel } from './channel';

export { bufferBytesFor, segmentBytesFor, type BridgeStats } from './bridge-stream';

export interface TcpBridgeOptions {
  readonly channel: Channel;
  readonly listen: { readonly host: string; readonly port: number };
  readonly upstream: { readonly host: string; readonly port: number };
  /** The node whose place the TCP client takes (its bytes travel from here)... */
  readonly client: NodeId;
  /** ...and the neighbour whose place the upstream server takes. */
  readonly server: NodeId;
  /** Payload bytes of one segment. Default: the link's (segmentBytesFor: 1460 on gprs and lan, 1452 on dsl, 1220 on PLC). */
  readonly segmentBytes?: number;
  /** Bytes per direction the bridge holds before it stops reading the source. Default: bufferBytesFor (2 x bandwidth-delay, at least 16 segments). */
  readonly bufferBytes?: number;
  /** Connections at once; a client beyond is reset. Default 64. */
  readonly maxConnections?: number;
  /** Retransmission timeout bounds (RFC 6298). Default: 1 s initial, 1 s least, 60 s most. */
  readonly rto?: { readonly [K in keyof RtoBounds]?: number | undefined };
  /** Retransmissions of one segment before the connection is reset. Default 8. */
  readonly maxRetransmits?: number;
}

export interface TcpBridge {
  readonly host: string;
  readonly port: number;
  readonly stats: BridgeStats;
  /** Connections open now. */
  readonly open: number;
  close(): Promise<void>;
}

export class BridgeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BridgeError';
  }
}

/** Defaults of the bridge's TCP; channel/README.md states them. */
export const BRIDGE_DEFAULTS = {
  maxConnections: 64,
  maxRetransmits: 8,
  rto: { initialRtoMs: 1000, minRtoMs: 1000, maxRtoMs: 60_000 },
} as const;

/**
 * Carries TCP connections through an emulated link: the bridge ends the client's TCP at the
 * `client` node and the upstream's at the `server` node and runs a TCP of its own between them
 * over the link (bridge-stream.ts), so that both peers see what the link does to TCP: the set-up
 * round trip (the client's first byte leaves when the SYN and its answer have crossed; a refusing
 * upstream resets the client), the link's rate (the bridge stops reading a source whose bytes the
 * link has not taken, so the peers' kernels fill and their senders wait), loss as retransmission
 * delay or, past maxRetransmits, a reset; the FIN and the RST cross the link too. Frames of a
 * connection that is gone are withdrawn from the medium.
 */
export async function startTcpBridge(options: TcpBridgeOptions): Promise<TcpBridge> {
  const { channel, client, server } = options;
  const route = channel.routeBetween(client, server);
  if (!route) throw new BridgeError(`bridge: "${server}" is not a neighbour of "${client}"`);
  const tcp: BridgeTcpOptions = {
    segmentBytes: options.segmentBytes,
    bufferBytes: options.bufferBytes,
    maxRetransmits: options.maxRetransmits ?? BRIDGE_DEFAULTS.maxRetransmits,
    initialRtoMs: options.rto?.initialRtoMs ?? BRIDGE_DEFAULTS.rto.initialRtoMs,
    minRtoMs: options.rto?.minRtoMs ?? BRIDGE_DEFAULTS.rto.minRtoMs,
    maxRtoMs: options.rto?.maxRtoMs ?? BRIDGE_DEFAULTS.rto.maxRtoMs,
  };
  const maxConnections = options.maxConnections ?? BRIDGE_DEFAULTS.maxConnections;
  const stats: BridgeStats = { connections: 0, refused: 0, resets: 0, retransmissions: 0, bytesUp: 0, bytesDown: 0, peakBufferedBytes: 0 };
  const open = new Set<() => void>();

  const listener = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (downstream) => {
    if (open.size >= maxConnections) {
      stats.refused++;
      downstream.on('error', () => {});
      downstream.resetAndDestroy();
      return;
    }
    stats.connections++;
    const kill = bridgeConnection(downstream, options, tcp, stats, () => open.delete(kill));
    open.add(kill);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) =>
      reject(new BridgeError(`bridge: cannot listen on ${options.listen.host}:${options.listen.port}: ${err.message}`)),
    );
    listener.listen(options.listen.port, options.listen.host, () => resolve());
  });
  const addr = listener.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    stats,
    get open() {
      return open.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const kill of [...open]) kill();
        listener.close(() => resolve());
      }),
  };
}

/**
 * One connection: the client's socket (paused until the set-up has crossed the link), the
 * upstream's (opened when the client's SYN arrives at the server node), and the two directions
 * between them. Returns what ends it at once.
 */
function bridgeConnection(
  downstream: Socket,
  options: TcpBridgeOptions,
  tcp: BridgeTcpOptions,
  stats: BridgeStats,
  ended: () => void,
): () => void {
  const { channel, client, server } = options;
  let upstream: Socket | undefined;
  let finished = false;
  let established = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    up.withdraw();
    down.withdraw();
    ended();
  };
  /** Ends both sockets with a reset (what a TCP that gave up, or whose peer reset, shows its user). */
  const reset = (): void => {
    if (finished) return;
    stats.resets++;
    downstream.resetAndDestroy();
    upstream?.resetAndDestroy();
    finish();
  };
  /** Both sockets closed (each after its FIN went both ways): the connection is over. */
  const closedWhenBoth = (): void => {
    if (downstream.destroyed && (!upstream || upstream.destroyed)) finish();
  };

  const up: StreamDirection = new StreamDirection(channel, client, server, tcp, stats, {
    syn: () => openUpstream(),
    data: (bytes, written) => upstream?.write(bytes, written),
    fin: () => upstream?.end(),
    rst: () => {
      stats.resets++;
      upstream?.resetAndDestroy();
      finish();
    },
    drained: () => {
      if (established) downstream.resume();
    },
    gaveUp: reset,
  });
  const down: StreamDirection = new StreamDirection(channel, server, client, tcp, stats, {
    syn: () => {
      established = true;
      downstream.resume();
    },
    data: (bytes, written) => downstream.write(bytes, written),
    fin: () => downstream.end(),
    rst: () => {
      stats.resets++;
      downstream.resetAndDestroy();
      finish();
    },
    drained: () => upstream?.resume(),
    gaveUp: reset,
  });

  const openUpstream = (): void => {
    const socket = connect({ port: options.upstream.port, host: options.upstream.host, allowHalfOpen: true });
    upstream = socket;
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      down.control('syn');
    });
    socket.on('data', (data: Buffer) => {
      if (!down.write(data)) socket.pause();
    });
    socket.on('end', () => down.control('fin'));
    socket.on('error', () => {
      // Refused or reset: the upstream's TCP is gone; the client learns it by a RST across the link.
      if (!connected) stats.refused++;
      up.withdraw();
      down.control('rst');
    });
    socket.on('close', closedWhenBoth);
  };

  downstream.on('data', (data: Buffer) => {
    if (!up.write(data)) downstream.pause();
  });
  downstream.on('end', () => up.control('fin'));
  downstream.on('error', () => {
    down.withdraw();
    up.control('rst');
  });
  downstream.on('close', closedWhenBoth);
  up.control('syn');
  return reset;
}
