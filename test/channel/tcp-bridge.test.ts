import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random';
import { startBroker } from '../../channel/broker';
import { BridgeError, startTcpBridge } from '../../channel/tcp-bridge';
import { Topology } from '../../core/topology';
import type { TapEvent } from '../../channel/taps';
import { classify } from './helpers';
import { afterTest, bridgeOn, closedPort, echoServer, exchange, outcomeOf, sha, sinkServer } from './bridge-bench';

/** 400 kbit/s, no overhead: 50,000 bytes take 1 s on the wire. */
const SLOW_SEGMENT = { bitRate: 400_000, overheadBytes: 0, maxPsdu: null, duplex: 'half' };

describe('TCP bridge through an emulated link', () => {
  it('limits a real TCP upload to the link rate and keeps every byte in order', async () => {
    const sink = await sinkServer();
    const { bridge, broker } = await bridgeOn(SLOW_SEGMENT, sink.port);
    const data = randomBytes(50_000);
    const t0 = Date.now();
    await exchange(bridge.port, data);
    const { received, ended } = await sink.outcomes[0]!;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(ended).toBe('eof');
    expect(sha(received)).toBe(sha(data));
    expect(bridge.stats.bytesUp).toBe(50_000);
    // The SYN's 20 bytes of options cross the link too; the FIN carries none.
    expect(broker.control.stats().links['plc:dc1']!.up.bytesDelivered).toBe(50_020);
  });

  it('shapes both directions of an echo on one half-duplex segment, with interceptors seeing the stream', async () => {
    const port = await echoServer();
    const { bridge, broker } = await bridgeOn(SLOW_SEGMENT, port);
    const seen: TapEvent[] = [];
    broker.control.tap((e) => seen.push(e));
    const data = randomBytes(25_000);
    const t0 = Date.now();
    const back = await exchange(bridge.port, data);
    // 25,000 bytes each way on one medium: 1 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(back.ended).toBe('eof');
    expect(sha(back.received)).toBe(sha(data));
    expect(new Set(seen.map((e) => `${e.link} ${e.direction} ${e.from}>${e.to}`))).toEqual(
      new Set(['plc:dc1 up tn1.001>dc1', 'plc:dc1 down dc1>tn1.001']),
    );
  });

  it('spends the set-up round trip before the first byte crosses, in segments of the WAN preset', async () => {
    const port = await echoServer();
    const { bridge, broker } = await bridgeOn({ latencyMs: 100 }, port);
    const segments: number[] = [];
    broker.control.tap((e) => segments.push(e.bytes.length));
    const socket = connect(bridge.port, '127.0.0.1');
    afterTest(() => void socket.destroy());
    const t0 = Date.now();
    socket.write('x');
    await new Promise((r) => socket.once('data', r));
    // SYN and its answer (100 ms each way), then the byte and its echo: two round trips.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(segments).toEqual([20, 20, 1, 1]);
    // On a DSL link a stream is cut into 1452-byte segments, on GPRS into 1460-byte ones.
    broker.control.setProfile('plc:dc1', { preset: 'dsl', duplex: 'half', latencyMs: 0 });
    socket.write(randomBytes(3000));
    await new Promise<void>((r) => socket.on('data', () => segments.length >= 10 && r()));
    expect(segments.slice(4, 7)).toEqual([1452, 1452, 96]);
  });

  it('resets the client when the upstream refuses, after the refusal has crossed the link', async () => {
    const { bridge, broker } = await bridgeOn({ latencyMs: 100 }, await closedPort());
    const t0 = Date.now();
    const socket = connect(bridge.port, '127.0.0.1');
    afterTest(() => void socket.destroy());
    socket.write('hello');
    const outcome = await outcomeOf(socket);
    expect(outcome).toEqual({ received: Buffer.alloc(0), ended: 'ECONNRESET' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(bridge.stats.refused).toBe(1);
    // SYN up, RST down; the client's bytes never left.
    expect(broker.control.stats().links['plc:dc1']!.up.framesDelivered).toBe(1);
  });

  it('caps its connections: a client beyond maxConnections is reset', async () => {
    const sink = await sinkServer();
    const { bridge } = await bridgeOn({}, sink.port, { maxConnections: 1 });
    const first = connect(bridge.port, '127.0.0.1');
    afterTest(() => void first.destroy());
    first.write('held open');
    await new Promise<void>((r) => {
      const check = (): void => void (sink.outcomes.length === 1 ? r() : setTimeout(check, 5));
      check();
    });
    const second = connect(bridge.port, '127.0.0.1');
    afterTest(() => void second.destroy());
    expect((await outcomeOf(second)).ended).toBe('ECONNRESET');
    expect(bridge.stats).toMatchObject({ connections: 1, refused: 1 });
  });

  it('refuses to bridge between nodes that are not neighbours', async () => {
    const broker = await startBroker({ topology: Topology.build(1, 2), random: new Random(1), classify, endpoint: 'tcp://127.0.0.1:0' });
    afterTest(() => broker.close());
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
