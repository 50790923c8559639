import { createHash, randomBytes } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../../core/random';
import { startBroker, type Broker } from '../../channel/broker';
import { BridgeError, startTcpBridge, type TcpBridge } from '../../channel/tcp-bridge';
import { Topology } from '../../core/topology';
import type { TapEvent } from '../../channel/taps';
import { classify } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

async function bridgeOn(plc: Record<string, unknown>, upstreamPort: number): Promise<{ broker: Broker; bridge: TcpBridge }> {
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
  });
  cleanups.push(() => bridge.close());
  return { broker, bridge };
}

/** Sends `data`, half-closes, and collects what comes back until the other side closes. */
function exchange(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.end(data);
  });
}

describe('TCP bridge through an emulated link', () => {
  it('limits a real TCP upload to the link rate and keeps every byte in order', async () => {
    let resolveGot: (b: Buffer) => void = () => {};
    const got = new Promise<Buffer>((resolve) => (resolveGot = resolve));
    const sink = createServer({ allowHalfOpen: true }, (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => {
        resolveGot(Buffer.concat(chunks));
        s.end();
      });
    });
    const sinkPort = await listen(sink);
    // 400 kbit/s, no overhead: 50,000 bytes take 1 s on the wire at least.
    const { bridge, broker } = await bridgeOn({ bitRate: 400_000, overheadBytes: 0, maxPsdu: null, duplex: 'half' }, sinkPort);
    const data = randomBytes(50_000);
    const t0 = Date.now();
    await exchange(bridge.port, data);
    const received = await got;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000 - 20);
    expect(sha(received)).toBe(sha(data));
    expect(bridge.stats.bytesUp).toBe(50_000);
    expect(broker.control.stats().links['plc:dc1']!.up.bytesDelivered).toBe(50_000);
  });

  it('shapes both directions of an echo on one half-duplex segment, with interceptors seeing the stream', async () => {
    const echo = createServer((s) => s.pipe(s));
    const port = await listen(echo);
    const { bridge, broker } = await bridgeOn({ bitRate: 400_000, overheadBytes: 0, maxPsdu: null, duplex: 'half' }, port);
    const seen: TapEvent[] = [];
    broker.control.tap((e) => seen.push(e));
    const data = randomBytes(25_000);
    const t0 = Date.now();
    const back = await exchange(bridge.port, data);
    // 25,000 bytes each way on one medium: 1 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000 - 20);
    expect(sha(back)).toBe(sha(data));
    expect(new Set(seen.map((e) => `${e.link} ${e.direction} ${e.from}>${e.to}`))).toEqual(
      new Set(['plc:dc1 up tn1.001>dc1', 'plc:dc1 down dc1>tn1.001']),
    );
  });

  it('retransmits stream frames the link loses, as TCP would', async () => {
    const echo = createServer((s) => s.pipe(s));
    const port = await listen(echo);
    const { bridge, broker } = await bridgeOn({ loss: { model: 'bernoulli', p: 0.3 } }, port);
    const data = randomBytes(20_000);
    expect(sha(await exchange(bridge.port, data))).toBe(sha(data));
    expect(broker.control.stats().links['plc:dc1']!.up.dropsLoss).toBe(0);
  });

  it('refuses to bridge between nodes that are not neighbours', async () => {
    const broker = await startBroker({ topology: Topology.build(1, 2), random: new Random(1), classify, endpoint: 'tcp://127.0.0.1:0' });
    cleanups.push(() => broker.close());
    await expect(
      startTcpBridge({
        channel: broker.channel,
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { host: '127.0.0.1', port: 1 },
        client: 'tn1.001',
        server: 'hes',
      }),
    ).rejects.toThrow(BridgeError);
  });
});
