import { describe, expect, it } from 'vitest';
import { classFrame, seqOf, virtualBench } from '../../test/channel/helpers';
import { waitFor, zmqBenchPerTest } from '../../test/channel/zmq-bench';

const startBench = zmqBenchPerTest();

describe('delay interceptor', () => {
  it('holds matching frames on real ZeroMQ traffic while others overtake them', async () => {
    const bench = await startBench();
    bench.control.addInterceptor({ type: 'delay', match: { class: 'meter-response' }, config: { ms: 300 } });
    bench.t('tn1.001').send('dc1', classFrame(0x11, 1)); // meter response: held
    bench.t('tn1.001').send('dc1', classFrame(0x03, 2)); // tn-key: passes
    await waitFor(() => bench.received.length === 2, 'both frames');
    const [first, second] = bench.at('dc1');
    expect([seqOf(first!.frame), seqOf(second!.frame)]).toEqual([2, 1]);
    // The sender's timestamp stays; the hold shows in the arrival time.
    expect(second!.at - second!.sentAt).toBeGreaterThanOrEqual(300 - 2);
  });

  it('releases held frames at once when removed', async () => {
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
