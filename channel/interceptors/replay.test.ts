import { describe, expect, it } from 'vitest';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { classFrame, seqOf } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('replay interceptor', () => {
  forEachWire((start) => {
    it('resends a recorded broadcast later, claiming the original sender', async () => {
      const bench = await start({ tns: 2 });
      bench.control.addInterceptor({ type: 'replay', match: { class: 'automation' }, config: { afterMs: 200 } });
      bench.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, 5));
      await bench.until(() => bench.received.length === 4, 'original and replay at both TNs');
      const [orig, again] = bench.at('tn1.001');
      expect([orig!.from, again!.from]).toEqual(['dc1', 'dc1']);
      expect(Buffer.from(again!.frame)).toEqual(Buffer.from(orig!.frame));
      // The replay is a new transmission: its send time is the attacker's.
      expect(again!.sentAt - orig!.sentAt).toBeGreaterThanOrEqual(200 - bench.slackMs);
    });

    it('replays a frame to other receivers', async () => {
      const bench = await start({ tns: 3 });
      const info = bench.control.addInterceptor({
        type: 'replay',
        match: { to: 'tn1.001', class: 'confidential' },
        config: { afterMs: 50, to: ['tn1.002', 'tn1.003'] },
      });
      bench.t('dc1').send('tn1.001', classFrame(0x12, 9));
      await bench.until(() => bench.received.length === 3, 'frame at three TNs');
      await bench.quiet('dc1', SEGMENT_BROADCAST);
      expect(bench.received.map((r) => [r.to, seqOf(r.frame)]).sort()).toEqual([
        ['tn1.001', 9],
        ['tn1.002', 9],
        ['tn1.003', 9],
      ]);
      expect(bench.control.interceptor(info.id)!.stats.injected).toBe(2);
    });
  });
});
