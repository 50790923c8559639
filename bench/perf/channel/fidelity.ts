import { VirtualClock } from '../../../core/clock';
import { fragmentSizes } from '../../../core/phy';
import { Random } from '../../../core/random';
import { Topology } from '../../../core/topology';
import { SEGMENT_BROADCAST, type Transport } from '../../../core/transport';
import { createEmulatedNetwork } from '../../../channel/emulated-network';
import { PRESET_NAMES, PRESETS, type PresetName } from '../../../channel/presets';
import { airtimeMs, meanJitterMs, meanLossRate, type LinkProfile, type ProfileSpec } from '../../../channel/profile';
import { connectTransport, type ZmqTransport } from '../../../channel/zmq-transport';
import { peekClassName } from '../../../nodes/protocol/message-class';
import { round } from '../measure';
import { startBrokerProcess } from './broker-process';
import { log, now, sleep } from './wire';

export interface Fidelity {
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
    const res = await fetch(`${broker.control}/links/plc:dc1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
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

/** fidelity: per preset on the virtual clock, and g3-plc-cenelec-a through the broker process on the real clock. */
export async function measureFidelity(): Promise<Fidelity[]> {
  log('fidelity: virtual clock, every preset');
  const fidelity: Fidelity[] = [];
  for (const name of PRESET_NAMES) {
    if (name === 'pass-through') continue;
    fidelity.push(await virtualFidelity(name));
  }
  log('fidelity: real clock through the broker process, g3-plc-cenelec-a');
  fidelity.push(await realFidelity('g3-plc-cenelec-a'));
  return fidelity;
}
