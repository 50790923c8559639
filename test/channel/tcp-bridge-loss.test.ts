import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { afterTest, bridgeOn, echoServer, exchange, listen, outcomeOf, sha, sinkServer } from './bridge-bench';
import { waitFor } from './wire-bench';

/** Short timeouts, so that a test's losses cost tenths of seconds instead of seconds. */
const FAST_RTO = { rto: { initialRtoMs: 100, minRtoMs: 50, maxRtoMs: 400 } };

describe('TCP bridge: what a lost frame costs a bridged stream', () => {
  it('sends again what the link loses and what a drop interceptor drops: no hole, only delay', async () => {
    const port = await echoServer();
    const { bridge, broker } = await bridgeOn({ loss: { model: 'bernoulli', p: 0.15 }, retries: 0 }, port, FAST_RTO);
    broker.control.addInterceptor({ id: 'cut', type: 'drop', match: { link: 'plc:dc1' }, probability: 0.15 });
    const data = randomBytes(40_000);
    const back = await exchange(bridge.port, data);
    expect(back.ended).toBe('eof');
    expect(sha(back.received)).toBe(sha(data));
    const plc = broker.control.stats().links['plc:dc1']!;
    expect(plc.up.dropsLoss + plc.down.dropsLoss).toBeGreaterThan(0);
    expect(broker.control.interceptor('cut')!.stats.dropped).toBeGreaterThan(0);
    expect(bridge.stats.retransmissions).toBeGreaterThanOrEqual(plc.up.dropsLoss + plc.down.dropsLoss);
  });

  it('sends a lost segment again once three later ones are acknowledged, without waiting for the timeout', async () => {
    const sink = await sinkServer();
    const { bridge, broker } = await bridgeOn({}, sink.port, { rto: { initialRtoMs: 10_000, minRtoMs: 10_000 } });
    let upFrames = 0;
    broker.control.addCustomInterceptor(
      (frame, ctx) => (frame.direction === 'up' && upFrames++ === 3 ? ctx.drop(frame) : ctx.forward(frame)),
      {
        id: 'one-loss',
      },
    );
    const data = randomBytes(30_000);
    const t0 = Date.now();
    await exchange(bridge.port, data);
    const { received, ended } = await sink.outcomes[0]!;
    expect(ended).toBe('eof');
    expect(sha(received)).toBe(sha(data));
    expect(bridge.stats.retransmissions).toBe(1);
    // The timer's floor is 10 s: the loss cost far less.
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('sends again what a jam destroys', async () => {
    const sink = await sinkServer();
    const { bridge, broker } = await bridgeOn({ bitRate: 400_000, overheadBytes: 0, maxPsdu: null, duplex: 'half' }, sink.port, FAST_RTO);
    const data = randomBytes(30_000);
    const client = exchange(bridge.port, data);
    await waitFor(() => bridge.stats.bytesUp > 5_000, 'the upload under way');
    broker.control.addInterceptor({ id: 'jam', type: 'jam', match: { link: 'plc:dc1' }, config: { durationMs: 200 } });
    const { received, ended } = await sink.outcomes[0]!;
    await client;
    expect(ended).toBe('eof');
    expect(sha(received)).toBe(sha(data));
    expect(broker.control.interceptor('jam')!.stats.dropped).toBeGreaterThan(0);
    expect(bridge.stats.retransmissions).toBeGreaterThan(0);
  });

  it('resets both ends when the link loses everything (never a clean end of stream)', async () => {
    const sink = await sinkServer();
    const { bridge, broker } = await bridgeOn({}, sink.port, { ...FAST_RTO, maxRetransmits: 2 });
    const socket = connect(bridge.port, '127.0.0.1');
    afterTest(() => void socket.destroy());
    const client = outcomeOf(socket);
    socket.write(randomBytes(5_000));
    await waitFor(() => bridge.stats.bytesUp === 5_000, 'the first bytes across');
    broker.control.setProfile('plc:dc1', { loss: { model: 'bernoulli', p: 1 } });
    socket.end(randomBytes(5_000));
    const server = await sink.outcomes[0]!;
    expect(server.ended).toBe('ECONNRESET');
    expect(server.received.length).toBe(5_000);
    expect((await client).ended).toBe('ECONNRESET');
    expect(bridge.stats.resets).toBe(1);
  });

  it('resets a client whose SYN never crosses; the upstream never sees it', async () => {
    const sink = await sinkServer();
    const { bridge } = await bridgeOn({ loss: { model: 'bernoulli', p: 1 } }, sink.port, { ...FAST_RTO, maxRetransmits: 2 });
    const socket = connect(bridge.port, '127.0.0.1');
    afterTest(() => void socket.destroy());
    socket.write('hello');
    expect((await outcomeOf(socket)).ended).toBe('ECONNRESET');
    expect(sink.outcomes).toHaveLength(0);
    expect(bridge.stats.retransmissions).toBe(2);
  });

  it('withdraws the frames of a connection that is gone from the shared medium', async () => {
    // The first connection's upstream resets it at its first byte; later ones are echoed.
    let accepted = 0;
    const port = await listen(
      createServer((s) => {
        s.on('error', () => {});
        if (accepted++ === 0) s.once('data', () => s.resetAndDestroy());
        else s.pipe(s);
      }),
    );
    // 100 kbit/s, 1000-byte segments: 80 ms each; a window of 20 queued segments is 1.6 s of airtime.
    const { bridge, broker } = await bridgeOn(
      { bitRate: 100_000, overheadBytes: 0, maxPsdu: null, duplex: 'half', queueFrames: 20 },
      port,
      {
        segmentBytes: 1000,
      },
    );
    const first = connect(bridge.port, '127.0.0.1');
    afterTest(() => void first.destroy());
    const firstOutcome = outcomeOf(first);
    const tw = Date.now();
    first.write(randomBytes(60_000));
    expect((await firstOutcome).ended).toBe('ECONNRESET');
    // The reset crossed the segment at once instead of after the dead connection's queued frames.
    expect(Date.now() - tw).toBeLessThan(1200);
    const t0 = Date.now();
    const back = await exchange(bridge.port, Buffer.from('?'));
    // SYN, SYN answer, byte, echo: 4 short frames, never behind the dead connection's 1.6 s.
    expect(back.received.toString()).toBe('?');
    expect(Date.now() - t0).toBeLessThan(800);
    const plc = broker.control.stats().links['plc:dc1']!;
    expect(plc.up.framesOffered - plc.up.framesDelivered).toBeGreaterThanOrEqual(10);
  });
});
