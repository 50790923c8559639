import * as zmq from 'zeromq';
import { describe, expect, it } from 'vitest';
import { RealClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, TransportError } from '../../core/transport';
import { startBroker } from '../../channel/broker';
import { Topology } from '../../core/topology';
import { connectTransport } from '../../channel/zmq-transport';
import { classFrame, classify, seqOf } from './helpers';
import { benchPerTest, waitFor, zmqWire } from './wire-bench';

const startBench = benchPerTest(zmqWire);

describe('broker over ZeroMQ', () => {
  it('relays frames hop by hop between node processes, with sender and send time', async () => {
    const bench = await startBench();
    const before = Date.now();
    bench.t('tn1.001').send('dc1', classFrame(0x11, 1));
    bench.t('dc1').send('hes', classFrame(0x11, 2));
    bench.t('hes').send('dc1', classFrame(0x10, 3));
    await waitFor(() => bench.received.length === 3, '3 frames');
    expect(
      bench
        .at('dc1')
        .map((r) => [r.from, seqOf(r.frame)])
        .sort(),
    ).toEqual([
      ['hes', 3],
      ['tn1.001', 1],
    ]);
    expect(bench.at('hes').map((r) => r.from)).toEqual(['dc1']);
    for (const r of bench.received) expect(r.sentAt).toBeGreaterThanOrEqual(before - 1);
  });

  it("carries a relay's trace (send time, attack label) and an injection's label across processes", async () => {
    const bench = await startBench();
    bench.t('dc1').send('hes', classFrame(0x11, 1), { sentAt: 1234.5, attack: 'replay:secure_TN_HES' });
    bench.broker.control.inject({ from: 'dc1', to: 'tn1.002', bytes: classFrame(0x13, 2) });
    await waitFor(() => bench.received.length === 2, '2 frames');
    expect(bench.at('hes').map((r) => [r.sentAt, r.attack])).toEqual([[1234.5, 'replay:secure_TN_HES']]);
    expect(bench.at('tn1.002').map((r) => r.attack)).toEqual(['control']);
  });

  it('keeps the order of a burst and batches it', async () => {
    const bench = await startBench();
    for (let i = 0; i < 2000; i++) bench.t('tn1.001').send('dc1', classFrame(0x11, i));
    await waitFor(() => bench.received.length === 2000, '2000 frames');
    expect(bench.at('dc1').map((r) => seqOf(r.frame))).toEqual([...Array(2000).keys()]);
  });

  it('delivers a DC broadcast to every TN of the segment', async () => {
    const bench = await startBench({ dcs: 2, tns: 3 });
    bench.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, 9));
    await waitFor(() => bench.received.length === 3, 'broadcast');
    // End markers behind the broadcast: at its own segment, at the HES, and on the other segment.
    await bench.quiet('dc1', SEGMENT_BROADCAST);
    await bench.quiet('dc1', 'hes');
    await bench.quiet('hes', 'dc2');
    await bench.quiet('dc2', SEGMENT_BROADCAST);
    expect(bench.received.map((r) => r.to).sort()).toEqual(['tn1.001', 'tn1.002', 'tn1.003']);
  });

  it('refuses identities that are not in the topology and counts them', async () => {
    const bench = await startBench();
    await expect(connectTransport({ endpoint: bench.broker.endpoint, node: 'mallory', connectTimeoutMs: 5000 })).rejects.toThrow(
      TransportError,
    );
    expect(bench.control.stats().rejected['unknown-identity']).toBe(1);
  });

  it('counts malformed envelopes, unknown destinations and oversize frames, and keeps running', async () => {
    const bench = await startBench({ plc: { maxFrameBytes: 64 }, skip: ['tn1.002'] });
    const raw = new zmq.Dealer({ routingId: 'tn1.002', linger: 2000 });
    raw.connect(bench.broker.endpoint);
    await raw.send(Buffer.from([0x01, 200, 1, 2])); // record header runs past the end
    await raw.send(Buffer.from([0x7f]));
    await raw.send(Buffer.alloc(0));
    raw.close();
    bench.t('tn1.001').send('hes', classFrame(0x11, 1));
    bench.t('tn1.001').send('dc1', classFrame(0x11, 2, 65));
    bench.t('tn1.001').send('dc1', classFrame(0x11, 3));
    await waitFor(() => bench.received.length === 1, 'the good frame');
    await waitFor(() => (bench.control.stats().rejected['malformed-envelope'] ?? 0) === 3, 'malformed count');
    expect(bench.control.stats().rejected).toMatchObject({ 'not-neighbour': 1, oversize: 1, 'malformed-envelope': 3 });
    expect(seqOf(bench.received[0]!.frame)).toBe(3);
  });

  it('applies the link model of the same core as the in-process network', async () => {
    // 8 kbit/s, 90 + 10 bytes = 100 ms per frame on one half-duplex medium: 5 frames take >= 500 ms.
    const bench = await startBench({
      plc: { bitRate: 8000, overheadBytes: 10, maxPsdu: null, duplex: 'half', queueFrames: 100 },
    });
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) bench.t('tn1.001').send('dc1', classFrame(0x11, i, 90));
    for (let i = 3; i < 5; i++) bench.t('dc1').send('tn1.002', classFrame(0x11, i, 90));
    await waitFor(() => bench.received.length === 5, '5 frames');
    const last = Math.max(...bench.received.map((r) => r.at));
    expect(last - t0).toBeGreaterThanOrEqual(500 - 2);
    expect(bench.control.stats().links['plc:dc1']!.up.busyMs).toBeCloseTo(300, 6);
  });

  it('closes cleanly with nodes still connected', async () => {
    const topology = Topology.build(1, 1);
    const broker = await startBroker({ topology, random: new Random(1), classify, endpoint: 'tcp://127.0.0.1:0' });
    const recorder = new SampleRecorder();
    const t = await connectTransport({ endpoint: broker.endpoint, node: 'tn1.001', metrics: recorder.metrics(new RealClock()) });
    expect(broker.connected()).toEqual(['tn1.001']);
    await broker.close();
    await t.close();
    t.send('dc1', classFrame(0x11, 1));
    expect(t.stats.droppedClosed).toBe(1);
    expect(recorder.select('channel_rejected', { reason: 'closed' })[0]!.fields).toEqual({ count: 1, from: 'tn1.001' });
  });

  it('counts frames no envelope can carry apart from frames sent after close', async () => {
    const topology = Topology.build(1, 1);
    const broker = await startBroker({ topology, random: new Random(1), classify, endpoint: 'tcp://127.0.0.1:0' });
    const recorder = new SampleRecorder();
    const t = await connectTransport({ endpoint: broker.endpoint, node: 'tn1.001', metrics: recorder.metrics(new RealClock()) });
    try {
      t.send('', classFrame(0x11, 1));
      t.send('x'.repeat(256), classFrame(0x11, 2));
      t.send('dc1', 'not bytes' as never);
      expect(t.stats).toMatchObject({ sent: 0, droppedUnsendable: 3, droppedClosed: 0 });
      expect(recorder.select('channel_rejected', { reason: 'malformed-envelope' }).map((s) => s.fields)).toEqual(
        Array(3).fill({ count: 1, from: 'tn1.001' }),
      );
    } finally {
      await t.close();
      await broker.close();
    }
  });
});
