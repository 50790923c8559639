import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../nodes/smgw-tls/lifetime-policy';
import { segmentBytes, tlsBench } from './harness';

/**
 * The BSI lifetime policy on the virtual clock: channels are torn down and fully re-established
 * by age and by volume, reconnects spread or synchronized, a power restoration makes a storm, and
 * a channel that dies mid-handshake is retried. 48 hours of simulated time take seconds.
 */
describe('smgw-tls lifetime policy', () => {
  it('renegotiates every channel by age within 48 h, spread, each time a full handshake on the node clock', async () => {
    const bench = tlsBench({ tns: 4, seed: 3 });
    await bench.clock.drive(bench.mode.bootstrap());
    await bench.clock.advance(100 * HOUR_MS);
    const byAge = bench.mode.handshakes().filter((h) => h.reason === 'age');
    const perTn = new Map<string, number[]>();
    for (const h of bench.mode.handshakes()) perTn.set(h.tn, [...(perTn.get(h.tn) ?? []), h.startedAt]);
    for (const [, starts] of perTn) {
      expect(starts.length).toBeGreaterThanOrEqual(3); // initial + two renegotiations in 100 h
      for (let i = 1; i < starts.length; i++) {
        expect(starts[i]! - starts[i - 1]!).toBeLessThanOrEqual(48 * HOUR_MS);
        expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(42 * HOUR_MS); // spread window 6 h
      }
    }
    expect(byAge.every((h) => h.ok && h.full && h.finishedAt > h.startedAt && h.bytesUp > 0 && h.bytesDown > 0)).toBe(true);
    expect(new Set(byAge.map((h) => Math.round(h.startedAt))).size).toBe(byAge.length); // spread: never together
    expect(bench.recorder.select('handshake', { reason: 'age', kind: 'full' })).toHaveLength(byAge.length);
    expect(bench.mode.stats().channelsUp).toBe(4);
    await bench.close();
  });

  it('synchronized reconnects make a storm on the 48 h grid', async () => {
    const bench = tlsBench({ tns: 5, mode: { lifetime: { reconnect: 'synchronized', maxAgeMs: 48 * HOUR_MS } } });
    await bench.clock.drive(bench.mode.bootstrap());
    await bench.clock.advance(49 * HOUR_MS - bench.clock.now());
    const storm = bench.mode.storms().find((s) => s.reason === 'age');
    expect(storm).toMatchObject({ dc: 'dc1', tns: 5, handshakes: 5, failed: 0 });
    expect(storm!.startedAt).toBe(48 * HOUR_MS);
    expect(storm!.durationS).toBeGreaterThanOrEqual(storm!.boundS);
    expect(bench.recorder.select('storm', { reason: 'age' })[0]?.fields).toMatchObject({ tns: 5 });
    await bench.close();
  });

  it('renegotiates by volume once the channel carried maxBytes, at its next quiet moment, losing nothing', async () => {
    const bench = tlsBench({ tns: 2, plc: 'pass-through', mode: { lifetime: { maxBytes: 40_000 } } });
    await bench.clock.drive(bench.mode.bootstrap());
    for (const batch of [1, 2]) {
      for (let i = 0; i < 12; i++) bench.mode.confidential('tn1.001', new Uint8Array(4_000).fill(batch));
      await bench.clock.advance(60_000);
    }
    const byVolume = bench.mode.handshakes().filter((h) => h.reason === 'volume');
    expect(byVolume.map((h) => h.tn)).toEqual(['tn1.001', 'tn1.001']);
    expect(byVolume.every((h) => h.ok && h.full)).toBe(true);
    expect(bench.recorder.select('frame_accepted', { tn: 'tn1.001', class: 'confidential' })).toHaveLength(24);
    expect(bench.mode.handshakes().filter((h) => h.tn === 'tn1.002')).toHaveLength(1);
    await bench.close();
  });

  it('a power restoration makes every TN of the segment reconnect at once: a storm, measured against its bound', async () => {
    const bench = tlsBench({ tns: 8 });
    await bench.clock.drive(bench.mode.bootstrap());
    await bench.clock.advance(60_000);
    const bytesBefore = segmentBytes(bench);
    const storm = await bench.clock.drive(bench.mode.powerRestored('dc1'));
    expect(storm).toMatchObject({ dc: 'dc1', reason: 'power-restored', tns: 8, handshakes: 8, failed: 0 });
    // Bound N * S * 8 / R from the G3-PLC bit rate and the handshakes' clean air bytes.
    expect(storm!.boundS).toBeCloseTo((8 * storm!.phyBytesPerHandshake * 8) / 72_823, 6);
    expect(storm!.durationS).toBeGreaterThanOrEqual(storm!.boundS);
    // Every byte the storm's handshakes counted went over the segment.
    expect(segmentBytes(bench) - bytesBefore).toBeGreaterThanOrEqual(storm!.bytes);
    const gauge = bench.recorder.select('handshakes_in_progress', { dc: 'dc1' }).map((s) => s.fields.value as number);
    expect(Math.max(...gauge)).toBe(8);
    expect(gauge.at(-1)).toBe(0);
    await bench.close();
  });

  it('retries with backoff a channel that dies mid-handshake, counts it, and the rest of the bench goes on', async () => {
    const bench = tlsBench({ tns: 3, plc: 'pass-through', mode: { handshakeTimeoutMs: 30_000 } });
    // The attacker eats every frame of tn1.002 for the first 2 minutes.
    const blackout = bench.network.control.addCustomInterceptor((frame, ctx) => {
      if ((frame.from === 'tn1.002' || frame.to === 'tn1.002') && ctx.now() < 120_000) ctx.drop(frame);
      else ctx.forward(frame);
    });
    const report = await bench.clock.drive(bench.mode.bootstrap());
    expect(report.enrolled).toBe(3);
    bench.network.control.removeInterceptor(blackout.id);
    const failed = bench.recorder.select('handshake', { tn: 'tn1.002', kind: 'failed' });
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(bench.mode.stats().failedHandshakes).toBe(failed.length);
    expect(bench.mode.handshakes().find((h) => h.tn === 'tn1.002' && h.ok)?.reason).toBe('reconnect');
    // The other TNs were up long before.
    expect(
      bench.mode
        .handshakes()
        .filter((h) => h.tn !== 'tn1.002' && h.ok)
        .every((h) => h.finishedAt < 1_000),
    ).toBe(true);
    await bench.close();
  });
});

describe('smgw-tls on the virtual clock', () => {
  it('a lone handshake takes its air time and little more: the clock never runs ahead of the TLS work', async () => {
    const bench = tlsBench({ tns: 1, seed: 11 });
    await bench.clock.drive(bench.mode.bootstrap());
    const [h] = bench.mode.handshakes();
    const airMs = (h!.cleanPhyBytes * 8 * 1000) / 72_823;
    const duration = h!.finishedAt - h!.startedAt;
    expect(duration).toBeGreaterThanOrEqual(airMs);
    // Four flights: propagation, jitter (10 ms max each) and the DSL hops add well under a second.
    expect(duration).toBeLessThan(airMs + 500);
    await bench.close();
  });

  it('replays a storm the same way for a seed (only ECDSA signature lengths vary by a byte or two)', async () => {
    const run = async () => {
      const bench = tlsBench({ tns: 6, seed: 11 });
      await bench.clock.drive(bench.mode.bootstrap());
      await bench.clock.drive(bench.mode.powerRestored('dc1'));
      const records = bench.mode.handshakes();
      await bench.close();
      return records;
    };
    const key = (h: { tn: string; reason: string }) => `${h.tn}/${h.reason}`;
    const [first, second] = [await run(), await run()].map((records) => [...records].sort((a, b) => key(a).localeCompare(key(b))));
    expect(first).toHaveLength(12);
    expect(second!.map(key)).toEqual(first!.map(key));
    for (let i = 0; i < first!.length; i++) {
      expect(Math.abs(second![i]!.bytesUp - first![i]!.bytesUp)).toBeLessThanOrEqual(8);
      expect(Math.abs(second![i]!.startedAt - first![i]!.startedAt)).toBeLessThan(100);
      expect(Math.abs(second![i]!.finishedAt - first![i]!.finishedAt)).toBeLessThan(200);
    }
  });
});
