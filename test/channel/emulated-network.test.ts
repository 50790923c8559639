import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, TransportError } from '../../core/transport';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import type { ProfileSpec } from '../../channel/profile';
import { Topology } from '../../core/topology';
import { registerInterceptor } from '../../channel/interceptor';
import { z } from 'zod';
import { bytes, ci99, classFrame, classify, seqOf, virtualBench } from './helpers';

/** 8 kbit/s, 10 bytes overhead: a 90-byte frame takes exactly 100 ms; 5 ms latency. */
const SLOW: ProfileSpec = {
  bitRate: 8000,
  overheadBytes: 10,
  maxPsdu: 100,
  latencyMs: 5,
  jitter: { distribution: 'none', ms: 0 },
  loss: { model: 'bernoulli', p: 0 },
  retries: 0,
  queueFrames: 10,
  duplex: 'half',
};

describe('emulated network: addressing', () => {
  it('delivers hop by hop between neighbours with the sender and the send time', async () => {
    const b = virtualBench({});
    await b.clock.advance(7);
    b.t('tn1.001').send('dc1', bytes(4));
    b.t('dc1').send('hes', bytes(5));
    b.t('hes').send('dc1', bytes(6));
    await b.clock.run();
    expect(b.at('dc1').map((r) => [r.from, r.frame.length, r.sentAt])).toEqual([
      ['tn1.001', 4, 7],
      ['hes', 6, 7],
    ]);
    expect(b.at('hes').map((r) => r.from)).toEqual(['dc1']);
  });

  it('never delivers inside the sender’s own send call', () => {
    const b = virtualBench({});
    b.t('tn1.001').send('dc1', bytes(4));
    expect(b.received).toHaveLength(0);
  });

  it('drops and counts non-neighbour destinations, oversize frames and sends after close; never throws', async () => {
    const b = virtualBench({ plc: { maxFrameBytes: 100 } });
    b.t('tn1.001').send('hes', bytes(4)); // not a neighbour: TNs reach only their DC
    b.t('tn1.001').send('tn1.002', bytes(4));
    b.t('hes').send(SEGMENT_BROADCAST, bytes(4)); // only a DC broadcasts
    b.t('tn1.001').send('nobody', bytes(4));
    b.t('tn1.001').send('dc1', bytes(101));
    await b.t('tn1.002').close();
    b.t('tn1.002').send('dc1', bytes(4));
    b.t('tn1.003').send('dc1', 'not bytes' as unknown as Uint8Array);
    await b.clock.run();
    expect(b.received).toHaveLength(0);
    expect(b.control.stats().rejected).toEqual({ 'not-neighbour': 4, oversize: 1, closed: 1, 'malformed-envelope': 1 });
    expect(b.recorder.select('channel_rejected', { reason: 'not-neighbour' })).toHaveLength(4);
    expect(b.recorder.select('channel_rejected', { reason: 'oversize' })[0]!.fields).toEqual({ count: 1, from: 'tn1.001' });
  });

  it("refuses a frame an interceptor grew past the link's limit, as it refuses a sent one", async () => {
    registerInterceptor({
      name: 'test-grow',
      summary: 'appends bytes (test only)',
      config: z.object({ by: z.number() }).strict(),
      create: ({ by }) => ({ onFrame: (frame, ctx) => ctx.tamper(frame, new Uint8Array([...frame.bytes, ...bytes(by)])) }),
    });
    const b = virtualBench({ plc: { maxFrameBytes: 100 } });
    b.control.addInterceptor({ type: 'test-grow', match: { from: 'dc1' }, config: { by: 10 } });
    b.t('dc1').send('tn1.001', bytes(90)); // grows to 100: fits
    b.t('dc1').send('tn1.001', bytes(91)); // grows to 101: does not
    await b.clock.run();
    expect(b.at('tn1.001').map((r) => r.frame.length)).toEqual([100]);
    expect(b.control.stats().rejected).toEqual({ oversize: 1 });
  });

  it('refuses unknown and twice-attached nodes at attach', () => {
    const net = createEmulatedNetwork({ topology: Topology.build(1, 1), clock: new VirtualClock(), random: new Random(1), classify });
    expect(() => net.attach('ghost')).toThrow(TransportError);
    net.attach('dc1');
    expect(() => net.attach('dc1')).toThrow(/already attached/);
  });
});

describe('emulated network: PLC segment', () => {
  it('a DC broadcast is one transmission that reaches every TN of its segment only', async () => {
    const b = virtualBench({ dcs: 2, tns: 4, plc: SLOW });
    b.t('dc1').send(SEGMENT_BROADCAST, bytes(90));
    await b.clock.run();
    expect(b.received.map((r) => r.to).sort()).toEqual(['tn1.001', 'tn1.002', 'tn1.003', 'tn1.004']);
    expect(b.received.every((r) => r.at === 105)).toBe(true);
    const c = b.control.stats().links['plc:dc1']!.down;
    expect(c.framesOffered).toBe(1);
    expect(c.framesDelivered).toBe(4);
    expect(c.busyMs).toBe(100);
  });

  it('draws loss independently per receiver of a broadcast', async () => {
    const b = virtualBench({ tns: 50, plc: { ...SLOW, bitRate: 0, loss: { model: 'bernoulli', p: 0.5 } } });
    for (let i = 0; i < 40; i++) b.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, i));
    await b.clock.run();
    const perTn = b.topology.tnsOf('dc1').map((tn) =>
      b
        .at(tn)
        .map((r) => seqOf(r.frame))
        .join(','),
    );
    expect(new Set(perTn).size).toBe(50);
    const total = b.received.length;
    expect(Math.abs(total / 2000 - 0.5)).toBeLessThan(ci99(0.5, 2000));
    expect(b.control.stats().links['plc:dc1']!.down.dropsLoss).toBe(2000 - total);
  });

  it('charges serialization at the bit rate plus overhead, propagation after the last bit', async () => {
    const b = virtualBench({ plc: SLOW });
    b.t('tn1.001').send('dc1', bytes(90));
    await b.clock.run();
    expect(b.at('dc1')[0]!.at).toBe(105);
  });

  it('is one half-duplex medium: frames in both directions queue behind each other, delay counted from enqueue', async () => {
    const b = virtualBench({ plc: SLOW });
    b.t('dc1').send('tn1.001', bytes(90));
    b.t('tn1.002').send('dc1', bytes(90));
    b.t('tn1.003').send('dc1', bytes(90));
    await b.clock.run();
    expect(b.at('tn1.001')[0]!.at).toBe(105);
    expect(b.at('dc1').map((r) => [r.from, r.at, r.sentAt])).toEqual([
      ['tn1.002', 205, 0],
      ['tn1.003', 305, 0],
    ]);
    expect(b.control.stats().links['plc:dc1']!.up.queueDelaySumMs).toBe(100 + 200);
  });

  it('fragments at the maximum PSDU: each fragment carries the overhead', async () => {
    const b = virtualBench({ plc: SLOW });
    b.t('tn1.001').send('dc1', bytes(250)); // 100 + 100 + 50 bytes, 3 * 10 overhead = 280 bytes = 280 ms
    await b.clock.run();
    expect(b.at('dc1')[0]!.at).toBe(285);
  });

  it('loses a fragmented frame when any fragment is lost; link-layer retries win it back', async () => {
    const run = async (retries: number) => {
      const b = virtualBench({ seed: 7, plc: { ...SLOW, bitRate: 0, retries, queueFrames: 5000, loss: { model: 'bernoulli', p: 0.3 } } });
      for (let i = 0; i < 3000; i++) b.t('tn1.001').send('dc1', bytes(250));
      await b.clock.run();
      return 1 - b.at('dc1').length / 3000;
    };
    const noRetry = 1 - 0.7 ** 3;
    expect(Math.abs((await run(0)) - noRetry)).toBeLessThan(ci99(noRetry, 3000));
    const twoRetries = 1 - (1 - 0.3 ** 3) ** 3;
    expect(Math.abs((await run(2)) - twoRetries)).toBeLessThan(ci99(twoRetries, 3000));
  });

  it('drops at the tail of a full queue and counts it', async () => {
    const b = virtualBench({ plc: { ...SLOW, queueFrames: 2 } });
    for (let i = 0; i < 5; i++) b.t('tn1.001').send('dc1', classFrame(0x11, i, 90));
    await b.clock.run();
    expect(b.at('dc1').map((r) => seqOf(r.frame))).toEqual([0, 1, 2]);
    expect(b.control.stats().links['plc:dc1']!.up.dropsQueue).toBe(2);
  });

  it('Gilbert-Elliott loss is bursty with the configured long-run rate', async () => {
    const loss = { model: 'gilbert-elliott' as const, pGoodToBad: 0.02, pBadToGood: 0.2, lossGood: 0, lossBad: 0.9 };
    const b = virtualBench({ seed: 3, plc: { ...SLOW, bitRate: 0, queueFrames: 20000, loss } });
    const n = 20000;
    for (let i = 0; i < n; i++) b.t('tn1.001').send('dc1', classFrame(0x11, i));
    await b.clock.run();
    const got = new Set(b.at('dc1').map((r) => seqOf(r.frame)));
    const lostRate = 1 - got.size / n;
    const expected = (0.02 / 0.22) * 0.9;
    expect(Math.abs(lostRate - expected)).toBeLessThan(0.02);
    // Bursts: after a loss, the next frame is lost far more often than on average.
    let afterLoss = 0;
    let lostAfterLoss = 0;
    for (let i = 1; i < n; i++)
      if (!got.has(i - 1)) {
        afterLoss++;
        if (!got.has(i)) lostAfterLoss++;
      }
    expect(lostAfterLoss / afterLoss).toBeGreaterThan(3 * expected);
  });

  it('jitter never reorders frames to one receiver', async () => {
    const b = virtualBench({ plc: { ...SLOW, bitRate: 0, jitter: { distribution: 'exponential', ms: 50 } } });
    for (let i = 0; i < 200; i++) b.t('tn1.001').send('dc1', classFrame(0x11, i));
    await b.clock.run();
    const seqs = b.at('dc1').map((r) => seqOf(r.frame));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(b.at('dc1')[199]!.at).toBeGreaterThan(5);
  });
});

describe('emulated network: WAN link', () => {
  it('is full duplex by default: up and down do not wait for each other', async () => {
    const b = virtualBench({ wan: { ...SLOW, duplex: 'full' } });
    b.t('hes').send('dc1', bytes(90));
    b.t('dc1').send('hes', bytes(90));
    await b.clock.run();
    expect(b.at('dc1')[0]!.at).toBe(105);
    expect(b.at('hes')[0]!.at).toBe(105);
  });

  it('uses the uplink bit rate towards the HES', async () => {
    const b = virtualBench({ wan: { ...SLOW, duplex: 'full', uplinkBitRate: 4000 } });
    b.t('dc1').send('hes', bytes(90));
    await b.clock.run();
    expect(b.at('hes')[0]!.at).toBe(205);
  });

  it('is half duplex when the profile says so', async () => {
    const b = virtualBench({ wan: { ...SLOW, duplex: 'half' } });
    b.t('hes').send('dc1', bytes(90));
    b.t('dc1').send('hes', bytes(90));
    await b.clock.run();
    expect([b.at('dc1')[0]!.at, b.at('hes')[0]!.at]).toEqual([105, 205]);
  });
});

describe('emulated network: determinism and metrics', () => {
  const lossyRun = async (seed: number) => {
    const b = virtualBench({
      seed,
      tns: 5,
      plc: { preset: 'g3-plc-cenelec-a', loss: { p: 0.2 }, queueFrames: 1000 },
    });
    for (let i = 0; i < 50; i++) {
      b.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, i, 60));
      b.t('tn1.002').send('dc1', classFrame(0x11, i, 120));
    }
    await b.clock.run();
    return b.received.map((r) => `${r.to}:${seqOf(r.frame)}@${r.at.toFixed(6)}`).join(' ');
  };

  it('repeats exactly for a seed and differs for another', async () => {
    const a = await lossyRun(11);
    expect(await lossyRun(11)).toBe(a);
    expect(await lossyRun(12)).not.toBe(a);
  });

  it('reports the channel measurement per link direction as deltas on the clock', async () => {
    const b = virtualBench({ plc: SLOW, metricsIntervalMs: 1000 });
    for (let i = 0; i < 15; i++) b.t('tn1.001').send('dc1', bytes(90));
    await b.clock.run();
    const samples = b.recorder.select('channel', { link: 'plc:dc1', direction: 'up' });
    // One frame on the air plus ten queued are carried (the last arrives at 1105 ms); the ticker stops once an interval passes without activity.
    expect(samples.map((s) => s.time)).toEqual([1000, 2000]);
    expect(samples[0]!.tags).toMatchObject({ segment: 'dc1', kind: 'plc' });
    expect(samples.map((s) => s.fields.frames_offered)).toEqual([15, 0]);
    expect(samples.map((s) => s.fields.frames_delivered)).toEqual([9, 2]);
    expect(b.recorder.sum('channel', 'frames_delivered', { link: 'plc:dc1' })).toBe(11);
    expect(b.recorder.sum('channel', 'drops_queue', { link: 'plc:dc1' })).toBe(4);
    expect(samples[0]!.fields.utilization).toBe(1);
    // Ten started before the first tick, having waited 0, 100, ... 900 ms.
    expect(samples[0]!.fields.queue_delay_ms).toBeCloseTo(450, 6);
  });
});

describe('emulated network: transmit buffers per sender', () => {
  it('gives every node on a segment its own buffer: many senders at once all get through, one sender overflows its own', async () => {
    const b = virtualBench({ tns: 10, plc: { ...SLOW, queueFrames: 2 } });
    for (const tn of b.topology.tnsOf('dc1')) b.t(tn).send('dc1', bytes(90));
    await b.clock.run();
    expect(b.at('dc1')).toHaveLength(10);
    // the ten frames took turns on the one medium: the last arrived after ten airtimes
    expect(Math.max(...b.at('dc1').map((r) => r.at))).toBe(10 * 100 + 5);
    for (let i = 0; i < 5; i++) b.t('tn1.001').send('dc1', bytes(90));
    await b.clock.run();
    expect(b.at('dc1')).toHaveLength(10 + 3); // one on the air, two buffered, two dropped
    expect(b.control.stats().links['plc:dc1']!.up.dropsQueue).toBe(2);
  });
});

describe('emulated network: departures', () => {
  it('tells each sender when its frame leaves: when the medium starts it, or when it is refused or dropped', async () => {
    const b = virtualBench({ tns: 3, plc: { ...SLOW, queueFrames: 2 } });
    const left: Array<[string, number]> = [];
    const send = (from: string, to: string, label: string, size = 90) =>
      b.t(from).send(to, bytes(size), undefined, (at) => left.push([label, at]));
    for (let i = 1; i <= 4; i++) send('tn1.001', 'dc1', `a${i}`); // one on the air, two in its buffer, the fourth dropped
    send('tn1.002', 'dc1', 'b'); // waits behind tn1.001's three on the one medium
    send('tn1.003', 'hes', 'refused'); // not a neighbour
    b.control.addCustomInterceptor((frame, ctx) => ctx.drop(frame), { id: 'cut', match: { from: 'dc1' } });
    send('dc1', 'tn1.003', 'cut'); // an attacker on the wire took it: it had left its sender
    await b.clock.run();
    expect(left).toEqual([
      ['a1', 0],
      ['a4', 0],
      ['refused', 0],
      ['cut', 0],
      ['a2', 100],
      ['a3', 200],
      ['b', 300],
    ]);
  });
});

describe('emulated network: attack labels', () => {
  it("labels injected, altered and held frames for their receivers, and keeps a relay's label across the next hop", async () => {
    const b = virtualBench({});
    b.control.inject({ from: 'dc1', to: 'tn1.001', bytes: bytes(4) });
    b.control.inject({ from: 'dc1', to: 'tn1.002', bytes: bytes(4), attack: 'replay:fresh_authentic_DC' });
    b.control.addCustomInterceptor((frame, ctx) => ctx.tamper(frame, bytes(4, 1)), { id: 'flip', match: { to: 'tn1.003' } });
    b.t('dc1').send('tn1.003', bytes(4));
    b.t('tn1.001').send('dc1', bytes(4));
    b.t('dc1').send('hes', bytes(4), { sentAt: 0, attack: 'replay:secure_TN_HES' });
    await b.clock.run();
    const label = (node: string) => b.at(node).map((r) => r.attack);
    expect(label('tn1.001')).toEqual(['control']);
    expect(label('tn1.002')).toEqual(['replay:fresh_authentic_DC']);
    expect(label('tn1.003')).toEqual(['flip']);
    expect(label('dc1')).toEqual([undefined]);
    expect(label('hes')).toEqual(['replay:secure_TN_HES']);
  });
});
