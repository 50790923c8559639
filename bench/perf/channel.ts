/**
 * perf:channel: how fast and how faithful the channel emulator is. Prints progress on stderr and,
 * as its last stdout line, one JSON object:
 *   forwarding  64-byte frames through the broker process (pass-through) vs raw zeromq.js PUSH/PULL
 *   overhead    latency the broker adds at 1,000 frames/s (broker path minus a direct ZeroMQ hop)
 *   fidelity    per preset: configured vs measured bit rate, loss and latency on a saturated link
 * Measurements alternate between the compared variants (the machine is small and shared) and
 * report medians. Each says which clock it ran on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { VirtualClock } from '../../core/clock';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, type Transport } from '../../core/transport';
import { startBroker } from '../../channel/broker';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { PRESET_NAMES, PRESETS, type PresetName } from '../../channel/presets';
import { airtimeMs, meanJitterMs, meanLossRate, type LinkProfile, type ProfileSpec } from '../../channel/profile';
import { fragmentSizes } from '../../core/phy';
import { Topology } from '../../core/topology';
import { connectTransport, type ZmqTransport } from '../../channel/zmq-transport';
import { median, percentile, report, round } from './measure';
import { peekClassName } from '../../nodes/protocol/message-class';

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const log = (msg: string): void => void process.stderr.write(`perf:channel: ${msg}\n`);

const FRAME = (() => {
  const f = new Uint8Array(64);
  f[0] = 1;
  f[1] = 0x11;
  return f;
})();

// ---------------------------------------------------------------- broker process

interface BrokerProcess {
  readonly endpoint: string;
  /** Control API URL when the config asked for one. */
  readonly control: string | null;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** The broker as deployed: `gridbench channel --config FILE` in its own process. */
async function startBrokerProcess(links: string): Promise<BrokerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-channel-'));
  const config = join(dir, 'channel.yaml');
  writeFileSync(
    config,
    `seed: perf\ntopology: { generate: { dcs: 1, tnsPerDc: 20 } }\n${links}\nbroker: { endpoint: "tcp://127.0.0.1:0" }\nmetrics: { intervalMs: 0 }\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cli/gridbench.ts', 'channel', '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`broker process did not start: ${out}`);
    await sleep(20);
  }
  const ready = JSON.parse(out.split('\n')[0]!) as { endpoint: string; control: string | null };
  return {
    endpoint: ready.endpoint,
    control: ready.control,
    child,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------- forwarding

/** Frames/s from tn1.001 to dc1 through the broker; the sender keeps at most `window` frames unanswered. */
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

// ---------------------------------------------------------------- overhead

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

// ---------------------------------------------------------------- fidelity

interface Fidelity {
  preset: string;
  clock: 'virtual' | 'real';
  link: string;
  frameBytes: number;
  configuredBps: number;
  measuredBps: number;
  bpsErrorPct: number;
  configuredLoss: number;
  measuredLoss: number;
  lossCi99: [number, number];
  lossSamples: number;
  configuredLatencyMs: number;
  measuredLatencyMs: number;
  rateFrames: number;
  withinTargets: boolean;
}

/** What a frame of `bytes` puts on the medium, counting the configured overhead of each PHY frame. */
const mediumBits = (p: LinkProfile, bytes: number): number =>
  fragmentSizes(p, bytes).reduce((sum, f) => sum + (f + p.overheadBytes) * 8, 0);

const ci99 = (p: number, n: number): [number, number] => {
  const h = 2.576 * Math.sqrt((p * (1 - p)) / n);
  return [Math.max(0, p - h), Math.min(1, p + h)];
};

/** PLC presets: DC -> TNs (broadcast for loss: no retries there). WAN presets: HES -> DC, unicast. */
function fidelityPlan(name: PresetName) {
  const profile = PRESETS[name] as LinkProfile;
  const plc = profile.duplex === 'half';
  const frameBytes = Math.min(profile.maxPsdu ?? 200, 200);
  return { profile, plc, frameBytes, from: plc ? 'dc1' : 'hes', to: plc ? 'tn1.001' : 'dc1' };
}

async function virtualFidelity(name: PresetName): Promise<Fidelity> {
  const { profile, plc, frameBytes, from, to } = fidelityPlan(name);
  const frame = new Uint8Array(frameBytes).fill(7);
  const run = async (spec: ProfileSpec, drive: (t: (n: string) => Transport, clock: VirtualClock) => void) => {
    const clock = new VirtualClock();
    const topology = Topology.build(1, 20);
    const net = createEmulatedNetwork({
      topology,
      clock,
      random: new Random(`perf/${name}`),
      classify: peekClassName,
      profileFor: (link) => (link.kind === (plc ? 'plc' : 'wan') ? { preset: name, ...spec } : undefined),
    });
    const arrivals: { to: string; at: number; sentAt: number; bytes: number }[] = [];
    const ts = new Map<string, Transport>();
    for (const node of topology.nodes) {
      const t = net.attach(node);
      t.onFrame((r) => arrivals.push({ to: node, at: clock.now(), sentAt: r.sentAt, bytes: r.frame.length }));
      ts.set(node, t);
    }
    drive((n) => ts.get(n)!, clock);
    await clock.run();
    await net.close();
    return arrivals;
  };

  // Rate: a saturated link (everything queued at once), loss off, counted at the receiver.
  const rateFrames = 5000;
  const rate = await run({ loss: { model: 'bernoulli', p: 0 }, queueFrames: rateFrames }, (t) => {
    for (let i = 0; i < rateFrames; i++) t(from).send(to, frame);
  });
  const span = (rate.at(-1)!.at - rate[0]!.at) / 1000;
  const measuredBps = ((rate.length - 1) * mediumBits(profile, frameBytes)) / span;

  // Loss: the preset as is; PLC broadcasts give 20 independent receivers per transmission.
  const lossFrames = 5000;
  const loss = await run({ queueFrames: lossFrames }, (t) => {
    for (let i = 0; i < lossFrames; i++) t(from).send(plc ? SEGMENT_BROADCAST : to, frame);
  });
  const fragments = fragmentSizes(profile, frameBytes).length;
  const p = meanLossRate(profile.loss);
  const configuredLoss = plc ? 1 - (1 - p) ** fragments : 1 - (1 - p ** (profile.retries + 1)) ** fragments;
  const lossSamples = lossFrames * (plc ? 20 : 1);
  const measuredLoss = 1 - loss.length / lossSamples;

  // Latency: one frame at a time on an idle link, loss off.
  const latencyFrames = 1000;
  const gap = airtimeMs(profile, frameBytes, false) + profile.latencyMs + 10 * (profile.jitter.ms + 1);
  const lat = await run({ loss: { model: 'bernoulli', p: 0 } }, (t, clock) => {
    for (let i = 0; i < latencyFrames; i++) clock.setTimer(i * gap, () => t(from).send(to, frame));
  });
  const measuredLatencyMs = lat.reduce((s, a) => s + (a.at - a.sentAt), 0) / lat.length;
  const configuredLatencyMs = airtimeMs(profile, frameBytes, false) + profile.latencyMs + meanJitterMs(profile.jitter);

  return summarize({
    preset: name,
    clock: 'virtual',
    link: plc ? 'plc:dc1 down' : 'wan:dc1 down',
    frameBytes,
    configuredBps: profile.bitRate,
    measuredBps,
    configuredLoss,
    measuredLoss,
    lossSamples,
    configuredLatencyMs,
    measuredLatencyMs,
    rateFrames,
  });
}

function summarize(f: Omit<Fidelity, 'bpsErrorPct' | 'lossCi99' | 'withinTargets'>): Fidelity {
  const bpsErrorPct = ((f.measuredBps - f.configuredBps) / f.configuredBps) * 100;
  const lossCi99 = ci99(f.configuredLoss, f.lossSamples);
  const lossOk = f.configuredLoss === 0 ? f.measuredLoss === 0 : f.measuredLoss >= lossCi99[0] && f.measuredLoss <= lossCi99[1];
  return {
    ...f,
    measuredBps: round(f.measuredBps, 1),
    bpsErrorPct: round(bpsErrorPct, 3),
    configuredLoss: round(f.configuredLoss, 6),
    measuredLoss: round(f.measuredLoss, 6),
    lossCi99: [round(lossCi99[0], 6), round(lossCi99[1], 6)],
    configuredLatencyMs: round(f.configuredLatencyMs, 3),
    measuredLatencyMs: round(f.measuredLatencyMs, 3),
    withinTargets: Math.abs(bpsErrorPct) <= 2 && lossOk,
  };
}

/**
 * The same measurement on the real clock, through the broker process and ZeroMQ clients, one
 * broker for the three phases; the loss is switched through its HTTP control API.
 */
async function realFidelity(name: PresetName): Promise<Fidelity> {
  const { profile, frameBytes } = fidelityPlan(name);
  const frame = new Uint8Array(frameBytes).fill(7);
  const broker = await startBrokerProcess(`links:\n  plc: { preset: ${name}, queueFrames: 100000 }\ncontrol: { port: 0 }`);
  const setLoss = async (spec: unknown): Promise<void> => {
    const res = await fetch(`${broker.control}/links/plc:dc1`, { method: 'POST', body: JSON.stringify(spec) });
    if (!res.ok) throw new Error(`control API: ${res.status} ${await res.text()}`);
  };
  const dc = await connectTransport({ endpoint: broker.endpoint, node: 'dc1' });
  const tns: ZmqTransport[] = [];
  for (let i = 1; i <= 20; i++) tns.push(await connectTransport({ endpoint: broker.endpoint, node: `tn1.${String(i).padStart(3, '0')}` }));
  let arrivals: { at: number; sentAt: number }[] = [];
  for (const t of tns) t.onFrame((r) => arrivals.push({ at: now(), sentAt: r.sentAt }));
  const perFrame = airtimeMs(profile, frameBytes, false);
  const drain = profile.latencyMs + profile.jitter.ms + 500;

  // Rate: saturate 8 s of airtime at once, loss off, count at one receiver.
  await setLoss({ preset: name, queueFrames: 100000, loss: { model: 'bernoulli', p: 0 } });
  const rateFrames = Math.ceil(8000 / perFrame);
  for (let i = 0; i < rateFrames; i++) dc.send('tn1.001', frame);
  await sleep(rateFrames * perFrame + drain);
  const rate = arrivals;
  const span = (rate.at(-1)!.at - rate[0]!.at) / 1000;
  const measuredBps = ((rate.length - 1) * mediumBits(profile, frameBytes)) / span;

  // Latency: 30 frames on an idle link, loss off.
  arrivals = [];
  for (let i = 0; i < 30; i++) {
    dc.send('tn1.001', frame);
    await sleep(perFrame + profile.latencyMs + profile.jitter.ms + 20);
  }
  await sleep(drain);
  const measuredLatencyMs = arrivals.reduce((s, a) => s + (a.at - a.sentAt), 0) / arrivals.length;

  // Loss: the preset's own loss, broadcasts to 20 TNs for 4 s of airtime.
  await setLoss({ preset: name, queueFrames: 100000 });
  arrivals = [];
  const lossFrames = Math.ceil(4000 / perFrame);
  for (let i = 0; i < lossFrames; i++) dc.send(SEGMENT_BROADCAST, frame);
  await sleep(lossFrames * perFrame + drain);
  const lossSamples = lossFrames * 20;
  const measuredLoss = 1 - arrivals.length / lossSamples;

  for (const t of [dc, ...tns]) await t.close();
  await broker.stop();
  const p = meanLossRate(profile.loss);
  return summarize({
    preset: name,
    clock: 'real',
    link: 'plc:dc1 down',
    frameBytes,
    configuredBps: profile.bitRate,
    measuredBps,
    configuredLoss: 1 - (1 - p) ** fragmentSizes(profile, frameBytes).length,
    measuredLoss,
    lossSamples,
    configuredLatencyMs: perFrame + profile.latencyMs + meanJitterMs(profile.jitter),
    measuredLatencyMs,
    rateFrames,
  });
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const passThrough = await startBrokerProcess('links:\n  plc: { preset: pass-through }\n  wan: { preset: pass-through }');
  const tx = await connectTransport({ endpoint: passThrough.endpoint, node: 'tn1.001' });
  const rx = await connectTransport({ endpoint: passThrough.endpoint, node: 'dc1' });

  // Latency first, on a fresh heap: the throughput rounds leave garbage whose collection shows in tails.
  // The same broker code in this process: what the broker adds without a third process's wake-ups,
  // which on a loaded two-core machine are the scheduler's tail, not the broker's.
  const inProcess = await startBroker({
    topology: Topology.build(1, 20),
    random: new Random('perf'),
    classify: peekClassName,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: () => ({ preset: 'pass-through' }),
  });
  const itx = await connectTransport({ endpoint: inProcess.endpoint, node: 'tn1.001' });
  const irx = await connectTransport({ endpoint: inProcess.endpoint, node: 'dc1' });

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

  await tx.close();
  await rx.close();
  await passThrough.stop();

  log('fidelity: virtual clock, every preset');
  const fidelity: Fidelity[] = [];
  for (const name of PRESET_NAMES) {
    if (name === 'pass-through') continue;
    fidelity.push(await virtualFidelity(name));
  }
  log('fidelity: real clock through the broker process, g3-plc-cenelec-a');
  fidelity.push(await realFidelity('g3-plc-cenelec-a'));

  const overhead = {
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
  const forwarding = {
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
  const result = {
    forwarding,
    overhead,
    fidelity,
    targets: {
      forwardingRatio: { target: '>= 0.5', met: forwarding.ratio >= 0.5 },
      overheadP99Ms: { target: '<= 1', met: overhead.p99Ms <= 1 },
      measuredBps: { target: 'within 2%', met: fidelity.every((f) => Math.abs(f.bpsErrorPct) <= 2) },
      measuredLoss: { target: 'inside 99% CI', met: fidelity.every((f) => f.withinTargets) },
    },
    machine: { cpus: cpus().length, node: process.version },
    durationS: round((Date.now() - started) / 1000, 1),
  };
  report(result);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
