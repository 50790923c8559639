import { describe, expect, it } from 'vitest';
import { classFrame, seqOf, virtualBench } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('reorder interceptor', () => {
  forEachWire((start) => {
    it('releases each window of frames reversed', async () => {
      const bench = await start();
      bench.control.addInterceptor({ type: 'reorder', match: { link: 'wan:dc1', direction: 'up' }, config: { window: 3 } });
      for (let i = 0; i < 6; i++) bench.t('dc1').send('hes', classFrame(0x11, i));
      await bench.until(() => bench.received.length === 6, '6 frames');
      expect(bench.at('hes').map((r) => seqOf(r.frame))).toEqual([2, 1, 0, 5, 4, 3]);
    });
  });

  describe('on the virtual clock, to the millisecond', () => {
    it('lets an incomplete window go after maxHoldMs, shuffled deterministically for a seed', async () => {
      const order = async () => {
        const b = virtualBench({ seed: 5 });
        b.control.addInterceptor({ type: 'reorder', config: { window: 10, order: 'shuffle', maxHoldMs: 50 } });
        for (let i = 0; i < 6; i++) b.t('tn1.001').send('dc1', classFrame(0x11, i));
        await b.clock.run();
        expect(b.at('dc1').every((r) => r.at === 50)).toBe(true);
        return b.at('dc1').map((r) => seqOf(r.frame));
      };
      const a = await order();
      expect([...a].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(a).not.toEqual([0, 1, 2, 3, 4, 5]);
      expect(await order()).toEqual(a);
    });
  });
});
