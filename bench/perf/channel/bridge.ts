import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../../core/random';
import { Topology } from '../../../core/topology';
import { startBroker } from '../../../channel/broker';
import { PRESETS } from '../../../channel/presets';
import { airtimeMs, type ProfileSpec } from '../../../channel/profile';
import { segmentBytesFor, startTcpBridge } from '../../../channel/tcp-bridge';
import { peekClassName } from '../../../nodes/protocol/message-class';
import { round } from '../measure';
import { log } from './wire';

/** One preset's link under the TCP bridge (real clock, loopback peers), against the model. */
export interface BridgeFidelity {
  preset: string;
  clock: 'real';
  /** Connect to the first echoed byte: the set-up round trip, then the byte's. */
  firstByteMs: number;
  modelFirstByteMs: number;
  /** A socat upload (send buffer 16 KiB): when socat had written it all, and when the sink had it. */
  uploadBytes: number;
  senderDoneMs: number;
  receiverDoneMs: number;
  modelUploadMs: number;
  goodputErrorPct: number;
}

const listening = async (server: Server): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

/** The up direction of a WAN preset, as the half-duplex-free link between tn1.001 and dc1. */
async function measurePreset(preset: 'dsl' | 'gprs' | 'lan', uploadBytes: number, dir: string): Promise<BridgeFidelity> {
  const spec: ProfileSpec = { preset, jitter: { distribution: 'none', ms: 0 } };
  const profile = { ...PRESETS[preset], jitter: { distribution: 'none' as const, ms: 0 } };
  let received = 0;
  let receivedAt = 0;
  let t0 = 0;
  const sink = createServer((s) => {
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      received += c.length;
      if (received === uploadBytes) receivedAt = Date.now() - t0;
    });
  });
  const echo = createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const [sinkPort, echoPort] = [await listening(sink), await listening(echo)];
  const broker = await startBroker({
    topology: Topology.build(1, 1),
    random: new Random(1),
    classify: peekClassName,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: (l) => (l.kind === 'plc' ? spec : undefined),
  });
  const bridge = (port: number) =>
    startTcpBridge({
      channel: broker.channel,
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port },
      client: 'tn1.001',
      server: 'dc1',
    });
  const [toEcho, toSink] = [await bridge(echoPort), await bridge(sinkPort)];
  try {
    const up = (bytes: number): number => airtimeMs(profile, bytes, true) + profile.latencyMs;
    const down = (bytes: number): number => airtimeMs(profile, bytes, false) + profile.latencyMs;
    const start = Date.now();
    const socket = connect(toEcho.port, '127.0.0.1');
    socket.write('x');
    await new Promise((r) => socket.once('data', r));
    const firstByteMs = Date.now() - start;
    socket.destroy();

    const file = join(dir, preset);
    writeFileSync(file, Buffer.alloc(uploadBytes, 0x5a));
    const segment = segmentBytesFor(profile);
    const full = Math.floor(uploadBytes / segment);
    const modelUploadMs = up(20) + down(20) + full * airtimeMs(profile, segment, true) + up(uploadBytes - full * segment);
    t0 = Date.now();
    const senderDoneMs = await new Promise<number>((resolve, reject) => {
      const socat = spawn('socat', ['-u', '-t', '0', `OPEN:${file}`, `TCP:127.0.0.1:${toSink.port},sndbuf=16384`]);
      socat.on('error', reject);
      socat.on('exit', () => resolve(Date.now() - t0));
    });
    while (received < uploadBytes) await new Promise((r) => setTimeout(r, 5));
    return {
      preset,
      clock: 'real',
      firstByteMs,
      modelFirstByteMs: round(up(20) + down(20) + up(1) + down(1), 1),
      uploadBytes,
      senderDoneMs,
      receiverDoneMs: receivedAt,
      modelUploadMs: round(modelUploadMs, 1),
      goodputErrorPct: round(((modelUploadMs - receivedAt) / receivedAt) * 100, 2),
    };
  } finally {
    await toEcho.close();
    await toSink.close();
    await broker.close();
    sink.close();
    echo.close();
  }
}

/** The TCP bridge on the WAN presets: set-up round trip, the rate socat's sender sees, goodput. */
export async function measureBridge(): Promise<BridgeFidelity[]> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-'));
  try {
    // A first connection compiles the bridge's code paths; its times would be the JIT's.
    await measurePreset('lan', 100_000, dir);
    const out: BridgeFidelity[] = [];
    for (const [preset, bytes] of [
      ['dsl', 300_000],
      ['gprs', 30_000],
      ['lan', 10_000_000],
    ] as const) {
      log(`bridge: ${preset}, ${bytes} bytes up`);
      out.push(await measurePreset(preset, bytes, dir));
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
