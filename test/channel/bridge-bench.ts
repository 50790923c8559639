import { createHash } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { Random } from '../../core/random';
import { startBroker, type Broker } from '../../channel/broker';
import { startTcpBridge, type TcpBridge, type TcpBridgeOptions } from '../../channel/tcp-bridge';
import { Topology } from '../../core/topology';
import { classify } from './helpers';

/** What a test started, stopped after it in reverse order. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Listens on a free loopback port, closed after the test. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on (a server was there and closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A broker on one DC with two TNs whose PLC segment has `plc`, and a bridge tn1.001 -> dc1 to the upstream. */
export async function bridgeOn(
  plc: Record<string, unknown>,
  upstreamPort: number,
  options: Partial<TcpBridgeOptions> = {},
): Promise<{ broker: Broker; bridge: TcpBridge }> {
  const broker = await startBroker({
    topology: Topology.build(1, 2),
    random: new Random(1),
    classify,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: (link) => (link.kind === 'plc' ? plc : undefined),
  });
  cleanups.push(() => broker.close());
  const bridge = await startTcpBridge({
    channel: broker.channel,
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: upstreamPort },
    client: 'tn1.001',
    server: 'dc1',
    ...options,
  });
  cleanups.push(() => bridge.close());
  return { broker, bridge };
}

/** How a TCP conversation ended for one side: a clean end of stream, or an error such as ECONNRESET. */
export interface Outcome {
  readonly received: Buffer;
  readonly ended: 'eof' | string;
}

/** Collects what a socket receives until it ends or fails. */
export function outcomeOf(socket: Socket): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve({ received: Buffer.concat(chunks), ended: 'eof' }));
    socket.on('error', (e: NodeJS.ErrnoException) => resolve({ received: Buffer.concat(chunks), ended: e.code ?? e.message }));
  });
}

/** Sends `data`, half-closes, and collects what comes back until the other side closes. */
export function exchange(port: number, data: Buffer): Promise<Outcome> {
  const socket = connect(port, '127.0.0.1');
  socket.end(data);
  cleanups.push(async () => void socket.destroy());
  return outcomeOf(socket);
}

/** A server that keeps what each connection sends and how it ended; it answers nothing and closes when its peer has. */
export async function sinkServer(): Promise<{ port: number; outcomes: Promise<Outcome>[] }> {
  const outcomes: Promise<Outcome>[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    const o = outcomeOf(s);
    outcomes.push(o);
    void o.then(() => s.end());
  });
  return { port: await listen(server), outcomes };
}

/** Runs `fn` after the test (for sockets and processes a test opens). */
export const afterTest = (fn: () => Promise<void> | void): void => void cleanups.push(async () => fn());

/** A server that sends back what it gets; a reset from its peer ends the connection quietly. */
export async function echoServer(): Promise<number> {
  return listen(
    createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    }),
  );
}
