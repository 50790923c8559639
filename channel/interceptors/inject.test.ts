import { describe, expect, it } from 'vitest';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { classFrame, seqOf } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('inject interceptor', () => {
  forEachWire((start) => {
    it('puts forged frames from a claimed sender on the wire', async () => {
      const bench = await start({ tns: 3 });
      const forged = Buffer.from(classFrame(0x13, 66)).toString('hex');
      const info = bench.control.addInterceptor({
        type: 'inject',
        config: { from: 'dc1', to: '*', hex: forged, count: 3, everyMs: 20 },
      });
      await bench.until(() => bench.received.length === 9, '3 forged broadcasts at 3 TNs');
      await bench.quiet('dc1', SEGMENT_BROADCAST);
      expect(bench.at('tn1.002').map((r) => [r.from, seqOf(r.frame)])).toEqual([
        ['dc1', 66],
        ['dc1', 66],
        ['dc1', 66],
      ]);
      expect(bench.control.interceptor(info.id)!.stats.injected).toBe(3);
    });

    it('races each matching frame with a forged one', async () => {
      const bench = await start();
      const forged = Buffer.from(classFrame(0x11, 77)).toString('hex');
      bench.control.addInterceptor({
        type: 'inject',
        match: { from: 'tn1.001' },
        config: { from: 'tn1.001', to: 'dc1', hex: forged, trigger: 'frame' },
      });
      bench.t('tn1.001').send('dc1', classFrame(0x11, 1));
      bench.t('tn1.001').send('dc1', classFrame(0x11, 2));
      await bench.until(() => bench.received.length === 4, 'two real, two forged');
      expect(bench.at('dc1').map((r) => seqOf(r.frame))).toEqual([1, 77, 2, 77]);
    });
  });
});
