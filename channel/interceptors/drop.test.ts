import { describe, expect, it } from 'vitest';
import { classFrame, seqOf } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('drop interceptor', () => {
  forEachWire((start) => {
    it('removes matching frames and counts them', async () => {
      const bench = await start();
      const info = bench.control.addInterceptor({ type: 'drop', match: { link: 'plc:dc1', class: 'automation' } });
      for (let i = 0; i < 5; i++) {
        bench.t('dc1').send('tn1.001', classFrame(0x13, i)); // automation: dropped
        bench.t('dc1').send('tn1.001', classFrame(0x10, 100 + i)); // meter request: passes
      }
      bench.t('hes').send('dc1', classFrame(0x13, 200)); // automation on the WAN link: not matched
      await bench.until(() => bench.received.length === 6, 'unmatched frames');
      await bench.quiet('dc1', 'tn1.001');
      expect(bench.at('tn1.001').map((r) => seqOf(r.frame))).toEqual([100, 101, 102, 103, 104]);
      expect(bench.control.interceptor(info.id)!.stats).toMatchObject({ matched: 5, fired: 5, dropped: 5 });
      expect(bench.control.stats().links['plc:dc1']!.down.dropsAttack).toBe(5);
    });

    it('with a probability drops only some, and is gone once removed', async () => {
      const bench = await start({ seed: 4 });
      const info = bench.control.addInterceptor({ type: 'drop', probability: 0.5, match: { direction: 'up' } });
      for (let i = 0; i < 200; i++) bench.t('tn1.001').send('dc1', classFrame(0x11, i));
      await bench.until(() => bench.control.interceptor(info.id)!.stats.matched === 200, 'all matched');
      const dropped = bench.control.interceptor(info.id)!.stats.dropped;
      await bench.until(() => bench.received.length === 200 - dropped, 'survivors');
      expect(dropped).toBeGreaterThan(50);
      expect(dropped).toBeLessThan(150);
      expect(bench.control.removeInterceptor(info.id)).toBe(true);
      bench.t('tn1.001').send('dc1', classFrame(0x11, 999));
      await bench.until(() => bench.received.length === 201 - dropped, 'frame after removal');
    });
  });
});
