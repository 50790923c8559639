import { describe, expect, it } from 'vitest';
import { classFrame, seqOf, virtualBench } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

const PLC = { bitRate: 8000, overheadBytes: 10, maxPsdu: null, latencyMs: 0, duplex: 'half' as const, queueFrames: 100 };

describe('jam interceptor', () => {
  forEachWire((start) => {
    it('occupies the segment: frames wait for the jam to end', async () => {
      const bench = await start({ plc: PLC });
      const t0 = bench.now();
      bench.control.addInterceptor({ type: 'jam', match: { link: 'plc:dc1' }, config: { durationMs: 400 } });
      bench.t('tn1.001').send('dc1', classFrame(0x11, 1, 90));
      bench.t('hes').send('dc1', classFrame(0x10, 2, 90)); // WAN: not jammed
      await bench.until(() => bench.received.length === 2, 'both frames');
      const wan = bench.received.find((r) => r.from === 'hes')!;
      const plc = bench.received.find((r) => r.from === 'tn1.001')!;
      expect(wan.at - t0).toBeLessThan(plc.at - t0);
      // 400 ms jam, then 100 ms on the air.
      expect(plc.at - t0).toBeGreaterThanOrEqual(500 - bench.slackMs);
    });
  });

  describe('on the virtual clock, to the millisecond', () => {
    it('destroys the frame on the air when the jam starts, and counts it as an attack drop', async () => {
      const b = virtualBench({ plc: PLC });
      b.t('tn1.001').send('dc1', classFrame(0x11, 1, 90)); // on the air 0..100 ms
      b.t('tn1.002').send('dc1', classFrame(0x11, 2, 90)); // queued behind it
      await b.clock.advance(50);
      const info = b.control.addInterceptor({ type: 'jam', match: { link: 'plc:dc1' }, config: { durationMs: 200 } });
      await b.clock.run();
      expect(b.at('dc1').map((r) => [seqOf(r.frame), r.at])).toEqual([[2, 350]]);
      expect(b.control.interceptor(info.id)!.stats.dropped).toBe(1);
      expect(b.control.stats().links['plc:dc1']!.up.dropsAttack).toBe(1);
    });

    it('repeats count times, everyMs apart', async () => {
      const b = virtualBench({ plc: PLC });
      b.control.addInterceptor({ type: 'jam', match: { link: 'plc:dc1' }, config: { durationMs: 100, count: 3, everyMs: 1000 } });
      await b.clock.advance(2050);
      b.t('tn1.001').send('dc1', classFrame(0x11, 1, 90));
      await b.clock.run();
      expect(b.at('dc1')[0]!.at).toBe(2100 + 100);
    });
  });
});
