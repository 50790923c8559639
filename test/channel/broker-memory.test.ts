import * as zmq from 'zeromq';
import { describe, expect, it } from 'vitest';
import { encodeFrames, MSG } from '../../channel/envelope';
import type { TapEvent } from '../../channel/taps';
import { classFrame } from './helpers';
import { benchPerTest, waitFor, zmqWire } from './wire-bench';

const startBench = benchPerTest(zmqWire);

describe('broker memory against a hostile envelope', () => {
  it('keeps only the admitted frame while it waits in a queue, not the large refused record beside it', async () => {
    // 100 bit/s: the first frame occupies the segment for seconds, so the next ones wait in its queue.
    const bench = await startBench({
      plc: { bitRate: 100, overheadBytes: 0, maxPsdu: null, maxFrameBytes: 1280, duplex: 'half', queueFrames: 100 },
      skip: ['dc1'],
    });
    const seen: TapEvent[] = [];
    bench.control.tap((e) => seen.push(e));
    const rogue = new zmq.Dealer({ routingId: 'dc1', linger: 0 });
    rogue.connect(bench.broker.endpoint);
    try {
      await rogue.send(Buffer.of(MSG.HELLO));
      const big = new Uint8Array(4 * 1024 * 1024);
      for (let i = 0; i < 4; i++)
        await rogue.send(
          encodeFrames([
            { peer: 'tn1.001', sentAt: Date.now(), bytes: classFrame(0x13, i, 24) },
            { peer: 'tn1.001', sentAt: Date.now(), bytes: big },
          ]),
        );
      await waitFor(() => seen.length === 4, 'the four small frames on the segment');
      expect(bench.control.stats().rejected).toMatchObject({ oversize: 4 });
      // Each queued frame holds its own 24 bytes, not the 4 MiB envelope it came in.
      expect(seen.map((e) => e.bytes.buffer.byteLength)).toEqual([24, 24, 24, 24]);
    } finally {
      rogue.close();
    }
  });
});
