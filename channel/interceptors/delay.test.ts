import { describe, expect, it } from 'vitest';
import { classFrame, seqOf, virtualBench } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('delay interceptor', () => {
  forEachWire((start) => {
    it('holds matching frames while others overtake them', async () => {
      const bench = await start();
      bench.control.addInterceptor({ type: 'delay', match: { class: 'meter-response' }, config: { ms: 300 } });
      bench.t('tn1.001').send('dc1', classFrame(0x11, 1)); // meter response: held
      bench.t('tn1.001').send('dc1', classFrame(0x03, 2)); // tn-key: passes
      await bench.until(() => bench.received.length === 2, 'both frames');
      const [first, second] = bench.at('dc1');
      expect([seqOf(first!.frame), seqOf(second!.frame)]).toEqual([2, 1]);
      // The sender's timestamp stays; the hold shows in the arrival time.
      expect(second!.at - second!.sentAt).toBeGreaterThanOrEqual(300 - bench.slackMs);
    });

    it('releases held frames at once when removed', async () => {
      const bench = await start();
      const info = bench.control.addInterceptor({ type: 'delay', match: { class: 'meter-response' }, config: { ms: 10_000 } });
      bench.t('tn1.001').send('dc1', classFrame(0x11, 1)); // held
      bench.t('tn1.001').send('dc1', classFrame(0x03, 2)); // sent after it, arrives first: the first is held
      await bench.until(() => bench.received.length === 1, 'the frame sent second');
      expect(seqOf(bench.received[0]!.frame)).toBe(2);
      const removedAt = bench.now();
      expect(bench.control.removeInterceptor(info.id)).toBe(true);
      await bench.until(() => bench.received.length === 2, 'the released frame');
      expect(bench.received[1]!.at - removedAt).toBeLessThan(1000);
    });
  });

  describe('on the virtual clock, to the millisecond', () => {
    it('releases held frames at the moment of removal', async () => {
      const b = virtualBench({});
      const info = b.control.addInterceptor({ type: 'delay', config: { ms: 10_000 } });
      b.t('tn1.001').send('dc1', classFrame(0x11, 1));
      await b.clock.advance(100);
      expect(b.received).toHaveLength(0);
      b.control.removeInterceptor(info.id);
      await b.clock.run();
      expect(b.at('dc1').map((r) => r.at)).toEqual([100]);
    });
  });
});
