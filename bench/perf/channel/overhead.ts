import * as zmq from 'zeromq';
import { loadBrokerAuth, loadNodeAuth } from '../../../channel/broker-auth';
import { Random } from '../../../core/random';
import { Topology } from '../../../core/topology';
import { startBroker } from '../../../channel/broker';
import { connectTransport, type ZmqTransport } from '../../../channel/zmq-transport';
import { peekClassName } from '../../../nodes/protocol/message-class';
import { median, nearestRankPercentile as percentile } from '../../../core/statistics';
import { round } from '../measure';
import { FRAME, log, now, sleep } from './wire';

/** Calls sendOne at `fps` for durationMs, catching up when a timer is late. */
async function paced(fps: number, durationMs: number, sendOne: () => void): Promise<number> {
  const start = now();
  let sent = 0;
  for (;;) {
    const elapsed = now() - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed * fps) / 1000);
    while (sent < due) {
      sendOne();
      sent++;
    }
    await sleep(1);
  }
  return sent;
}

async function brokerLatencies(tx: ZmqTransport, rx: ZmqTransport, fps: number, durationMs: number): Promise<number[]> {
  const lat: number[] = [];
  const off = rx.onFrame((r) => lat.push(now() - r.sentAt));
  const sent = await paced(fps, durationMs, () => tx.send('dc1', FRAME));
  const deadline = Date.now() + 5000;
  while (lat.length < sent && Date.now() < deadline) await sleep(5);
  off();
  return lat;
}

/**
 * Sends timestamped copies of FRAME at fps through one ZeroMQ socket (in order, one send at a
 * time, as zeromq.js requires), then waits up to 5 s for `received` to hold every latency.
 */
async function pacedTimestamped(fps: number, durationMs: number, send: (m: Buffer) => Promise<void>, received: number[]): Promise<void> {
  const queue: Buffer[] = [];
  let writing = false;
  const write = async (): Promise<void> => {
    writing = true;
    while (queue.length) await send(queue.shift()!);
    writing = false;
  };
  const sent = await paced(fps, durationMs, () => {
    const m = Buffer.from(FRAME);
    m.writeDoubleBE(now(), 2);
    queue.push(m);
    if (!writing) void write();
  });
  const deadline = Date.now() + 5000;
  while (received.length < sent && Date.now() < deadline) await sleep(5);
}

async function rawLatencies(fps: number, durationMs: number): Promise<number[]> {
  const push = new zmq.Push({ linger: 0 });
  const pull = new zmq.Pull({ linger: 0 });
  await push.bind('tcp://127.0.0.1:0');
  pull.connect(push.lastEndpoint!);
  await sleep(50);
  const lat: number[] = [];
  const receiving = (async () => {
    for await (const [msg] of pull) lat.push(now() - msg!.readDoubleBE(2));
  })();
  await pacedTimestamped(fps, durationMs, (m) => push.send(m), lat);
  pull.close();
  push.close();
  await receiving;
  return lat;
}

/** A bare ZeroMQ relay, DEALER -> ROUTER -> DEALER, no channel code: what any broker's extra hop costs. */
async function relayLatencies(fps: number, durationMs: number): Promise<number[]> {
  const router = new zmq.Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:0');
  const a = new zmq.Dealer({ routingId: 'a', linger: 0 });
  const b = new zmq.Dealer({ routingId: 'b', linger: 0 });
  a.connect(router.lastEndpoint!);
  b.connect(router.lastEndpoint!);
  await b.send('hello');
  await sleep(50);
  const relaying = (async () => {
    for await (const [, m] of router) if (m!.length > 8) await router.send(['b', m!]);
  })();
  const lat: number[] = [];
  const receiving = (async () => {
    for await (const [m] of b) lat.push(now() - m!.readDoubleBE(2));
  })();
  await pacedTimestamped(fps, durationMs, (m) => a.send(m), lat);
  for (const s of [a, b, router]) s.close();
  await Promise.allSettled([relaying, receiving]);
  return lat;
}

/**
 * overhead: latency the broker adds at 1,000 frames/s, against a direct ZeroMQ hop, in six
 * interleaved rounds. `tx` and `rx` are clients of the broker process; the same broker code is
 * also started in this process, which measures the broker without a third process's wake-ups
 * (on a loaded two-core machine those are the scheduler's tail, not the broker's).
 */
export async function measureOverhead(tx: ZmqTransport, rx: ZmqTransport, keys?: string) {
  const inProcess = await startBroker({
    ...(keys ? { auth: loadBrokerAuth(keys) } : {}),
    topology: Topology.build(1, 20),
    random: new Random('perf'),
    classify: peekClassName,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: () => ({ preset: 'pass-through' }),
  });
  const auth = (node: string) => (keys ? { auth: loadNodeAuth(keys, node) } : {});
  const itx = await connectTransport({ endpoint: inProcess.endpoint, node: 'tn1.001', ...auth('tn1.001') });
  const irx = await connectTransport({ endpoint: inProcess.endpoint, node: 'dc1', ...auth('dc1') });

  log('overhead: 1,000 frames/s');
  await rawLatencies(1000, 500);
  await brokerLatencies(itx, irx, 1000, 500);
  await brokerLatencies(tx, rx, 1000, 500);
  await relayLatencies(1000, 500);
  const pooled = { raw: [] as number[], inProcess: [] as number[], process: [] as number[], relay: [] as number[] };
  const rounds: { raw: number[]; inProcess: number[]; process: number[]; relay: number[] }[] = [];
  for (let r = 0; r < 6; r++) {
    const round = {
      raw: await rawLatencies(1000, 1500),
      inProcess: await brokerLatencies(itx, irx, 1000, 1500),
      process: await brokerLatencies(tx, rx, 1000, 1500),
      relay: await relayLatencies(1000, 1500),
    };
    rounds.push(round);
    for (const k of ['raw', 'inProcess', 'process', 'relay'] as const) pooled[k].push(...round[k]);
  }
  await itx.close();
  await irx.close();
  await inProcess.close();
  /** Median over rounds of (broker percentile - raw percentile) in the same round. */
  const added = (k: 'inProcess' | 'process' | 'relay', p: number, base: 'raw' | 'relay' = 'raw'): number =>
    round(median(rounds.map((r) => percentile(r[k], p) - percentile(r[base], p))), 3);

  return {
    p50Ms: added('inProcess', 50),
    p99Ms: added('inProcess', 99),
    framesPerSec: 1000,
    clock: 'real',
    definition:
      'broker started in this process (startBroker, pass-through), nodes on ZmqTransport: median over 6 interleaved 1.5 s rounds of (percentile of one-way latency tn -> broker -> dc) minus (the same percentile of a direct PUSH -> PULL hop in the same round)',
    brokerP50Ms: round(percentile(pooled.inProcess, 50), 3),
    brokerP99Ms: round(percentile(pooled.inProcess, 99), 3),
    rawP50Ms: round(percentile(pooled.raw, 50), 3),
    rawP99Ms: round(percentile(pooled.raw, 99), 3),
    samples: { broker: pooled.inProcess.length, raw: pooled.raw.length },
    brokerProcess: {
      note: 'the same measured through `gridbench channel` in its own process (one more process wake-up per hop)',
      p50Ms: added('process', 50),
      p99Ms: added('process', 99),
      brokerP50Ms: round(percentile(pooled.process, 50), 3),
      brokerP99Ms: round(percentile(pooled.process, 99), 3),
      samples: pooled.process.length,
    },
    plainZmqRelay: {
      note: 'a bare DEALER -> ROUTER -> DEALER relay with no channel code, same rounds: the part of the overhead any broker hop costs on this machine',
      p50Ms: added('relay', 50),
      p99Ms: added('relay', 99),
      channelCodeP50Ms: added('inProcess', 50, 'relay'),
      channelCodeP99Ms: added('inProcess', 99, 'relay'),
    },
    perRoundP99Ms: rounds.map((r) => ({
      raw: round(percentile(r.raw, 99), 3),
      relay: round(percentile(r.relay, 99), 3),
      inProcess: round(percentile(r.inProcess, 99), 3),
      process: round(percentile(r.process, 99), 3),
    })),
  };
}
