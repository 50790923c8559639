import { describe, expect, it } from 'vitest';
import { classFrame, classify } from '../../test/channel/helpers';
import { forEachWire } from '../../test/channel/wire-bench';

describe('tamper interceptor', () => {
  forEachWire((start) => {
    it('overwrites a byte range of matching frames', async () => {
      const bench = await start();
      const info = bench.control.addInterceptor({ type: 'tamper', match: { from: 'hes' }, config: { offset: -2, overwrite: 'dead' } });
      bench.t('hes').send('dc1', classFrame(0x12, 1, 8));
      bench.t('tn1.001').send('dc1', classFrame(0x11, 2, 8));
      await bench.until(() => bench.received.length === 2, 'both frames');
      const fromHes = bench.at('dc1').find((r) => r.from === 'hes')!;
      const fromTn = bench.at('dc1').find((r) => r.from === 'tn1.001')!;
      expect(Buffer.from(fromHes.frame).toString('hex')).toBe('011200000001dead');
      expect(Buffer.from(fromTn.frame).toString('hex')).toBe('0111000000020000');
      expect(bench.control.interceptor(info.id)!.stats).toMatchObject({ tampered: 1, forwarded: 1 });
    });

    it('flips the asked number of bits past the wire header', async () => {
      const bench = await start();
      bench.control.addInterceptor({ type: 'tamper', config: { flipBits: 3 } });
      const sent = classFrame(0x13, 0, 64);
      bench.t('dc1').send('tn1.001', sent);
      await bench.until(() => bench.received.length === 1, 'frame');
      const got = bench.received[0]!.frame;
      let flipped = 0;
      for (let i = 0; i < sent.length; i++) for (let b = 0; b < 8; b++) if (((sent[i]! ^ got[i]!) >> b) & 1) flipped++;
      expect(flipped).toBeGreaterThanOrEqual(1);
      expect(flipped).toBeLessThanOrEqual(3);
      expect(classify(got)).toBe('automation');
    });

    it('refuses a config that would do nothing, naming the field', async () => {
      const bench = await start();
      expect(() => bench.control.addInterceptor({ type: 'tamper', config: {} })).toThrow(/flipBits > 0 or overwrite/);
      expect(() => bench.control.addInterceptor({ type: 'tamper', config: { overwrite: 'xyz' } })).toThrow(/config\.overwrite/);
    });
  });
});
