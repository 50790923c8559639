import { describe, expect, it } from 'vitest';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { classFrame, seqOf } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('duplicate interceptor', () => {
  forEachWire((start) => {
    it('delivers each matching frame plus its copies', async () => {
      const bench = await start({ tns: 2 });
      const info = bench.control.addInterceptor({ type: 'duplicate', match: { class: 'automation' }, config: { copies: 2 } });
      bench.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, 7));
      bench.t('dc1').send('hes', classFrame(0x11, 8));
      await bench.until(() => bench.received.length === 7, '3 + 3 automation, 1 response');
      await bench.quiet('dc1', SEGMENT_BROADCAST);
      await bench.quiet('dc1', 'hes');
      expect(bench.at('tn1.001').map((r) => [r.from, seqOf(r.frame)])).toEqual([
        ['dc1', 7],
        ['dc1', 7],
        ['dc1', 7],
      ]);
      expect(bench.at('hes')).toHaveLength(1);
      expect(bench.control.interceptor(info.id)!.stats).toMatchObject({ matched: 1, forwarded: 1, injected: 2 });
    });
  });
});
