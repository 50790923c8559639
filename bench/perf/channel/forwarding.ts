import * as zmq from 'zeromq';
import type { ZmqTransport } from '../../../channel/zmq-transport';
import { median } from '../../../core/statistics';
import { round } from '../measure';
import { FRAME, log, now, turn } from './wire';

/** Frames/s from tn1.001 to dc1 through the broker; the sender keeps at most 20,000 frames unanswered. */
async function brokerThroughput(tx: ZmqTransport, rx: ZmqTransport, n: number): Promise<number> {
  let received = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    const off = rx.onFrame(() => {
      if (++received === n) {
        last = now();
        off();
        resolve();
      }
    });
  });
  const t0 = now();
  let sent = 0;
  while (sent < n) {
    if (sent - received < 20_000) {
      const k = Math.min(1000, n - sent);
      for (let i = 0; i < k; i++) tx.send('dc1', FRAME);
      sent += k;
    }
    await turn();
  }
  await done;
  return n / ((last - t0) / 1000);
}

/** Frames/s of plain zeromq.js PUSH -> PULL, one message per frame, both ends in this process. */
async function rawThroughput(n: number): Promise<number> {
  const push = new zmq.Push({ sendHighWaterMark: 100_000, linger: 0 });
  const pull = new zmq.Pull({ receiveHighWaterMark: 100_000, linger: 0 });
  await push.bind('tcp://127.0.0.1:0');
  pull.connect(push.lastEndpoint!);
  const t0 = now();
  const receiving = (async () => {
    let count = 0;
    for await (const [msg] of pull) {
      void msg;
      if (++count === n) break;
    }
    return now();
  })();
  for (let i = 0; i < n; i++) await push.send(FRAME);
  const last = await receiving;
  push.close();
  pull.close();
  return n / ((last - t0) / 1000);
}

/**
 * forwarding: 64-byte frames through the broker process (pass-through, tx and rx its clients) vs
 * raw zeromq.js PUSH/PULL, three interleaved rounds after a warm-up, medians.
 */
export async function measureForwarding(tx: ZmqTransport, rx: ZmqTransport) {
  log('forwarding: warming up');
  await brokerThroughput(tx, rx, 20_000);
  await rawThroughput(20_000);
  const n = 100_000;
  const broker: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < 3; r++) {
    raw.push(await rawThroughput(n));
    broker.push(await brokerThroughput(tx, rx, n));
    log(`forwarding round ${r + 1}: broker ${Math.round(broker.at(-1)!)} /s, raw ${Math.round(raw.at(-1)!)} /s`);
  }
  const ratios = broker.map((b, i) => b / raw[i]!);
  return {
    framesPerSec: Math.round(median(broker)),
    rawZmqFramesPerSec: Math.round(median(raw)),
    ratio: round(median(ratios), 3),
    rounds: { broker: broker.map(Math.round), raw: raw.map(Math.round) },
    frameBytes: 64,
    framesPerRound: n,
    clock: 'real',
    layout:
      'broker in its own process (gridbench channel, pass-through); sender and receiver ZmqTransport in this process; raw PUSH and PULL both in this process',
  };
}
