/**
 * perf:tls: smgw-tls mode against lean mode and against real OpenSSL, on the G3-PLC CENELEC-A
 * segment with a DSL WAN. Human-readable lines first, then one JSON object as the last line:
 *   tcp              the parameters of the stream beneath TLS (nodes/smgw-tls/tcp-parameters.ts)
 *   quiet            one TN alone, loss-free: its full handshake's time and TLS bytes, chains
 *                    without and with the root, the bench (virtual clock) beside real OpenSSL
 *                    through the TCP bridges (real clock, median of 3) and their ratio
 *   storms           every TN of a segment of 50 and of 200 connects at once (loss-free), chains
 *                    without and with the root: first ClientHello to last handshake done,
 *                    beside the bound N*S*8/R; for 50 TNs without the root, real OpenSSL too
 *   handshakeBytes   frame bytes of one full and one resumed handshake (TlsRecord framing included)
 *   automation, bytesPerCommand, storm (power restoration of TLS_PERF_TNS TNs on the default 2 % loss)
 * Environment: TLS_PERF_TNS (default 50, at least 50), TLS_PERF_SEED (default 1), TLS_PERF_REAL=0
 * skips real OpenSSL (it needs the `openssl` command, and the 50-TN storm runs 100 processes).
 */
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { PRESETS } from '../../channel/presets';
import { Topology } from '../../core/topology';
import { VirtualClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { stormBoundS } from '../../core/phy';
import { Random } from '../../core/random';
import { median } from '../../core/statistics';
import { createMode } from '../../nodes/modes';
import { DEFAULT_RELIABLE_OPTIONS } from '../../nodes/smgw-tls/reliable-stream';
import { describeTcp } from '../../nodes/smgw-tls/tcp-parameters';
import { tlsFrameHeaderBytes } from '../../nodes/smgw-tls/tls-frame';
import { DEFAULT_SCENARIO, runMode } from '../cli/commands/compare';
import { report, round } from './measure';
import { peekClassName } from '../../nodes/protocol/message-class';
import { baselinePki, benchHandshakes, FIDELITY_PATH, opensslHandshakes } from './tls-openssl';

const log = (msg: string): void => void process.stderr.write(`perf:tls: ${msg}\n`);
const G3 = PRESETS['g3-plc-cenelec-a'];

/** One TN alone on a quiet G3-PLC segment: the size of a full and of a resumed handshake. */
async function handshakeBytes(seed: string): Promise<{ full: number; resumed: number; fullPhy: number }> {
  const clock = new VirtualClock();
  const topology = Topology.build(1, 1);
  const random = new Random(seed);
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    profileFor: (l) => ({ preset: l.kind === 'plc' ? 'g3-plc-cenelec-a' : 'dsl' }),
  });
  const mode = createMode('smgw-tls', { clock, network, topology, random, metrics: NO_METRICS, plc: () => G3 });
  try {
    await clock.drive(mode.bootstrap());
    const full = mode.handshakes()[0]!;
    const resumed = await clock.drive(mode.measureResumedHandshake('tn1.001'));
    if (!resumed) throw new Error('perf:tls: the resumed handshake did not complete');
    return { full: full.bytesUp + full.bytesDown, resumed: resumed.bytesUp + resumed.bytesDown, fullPhy: full.cleanPhyBytes };
  } finally {
    await mode.close();
    await network.close();
  }
}

interface Quiet {
  benchMs: number;
  tlsBytes: number;
  realMs?: number;
  realTlsBytes?: number;
  ratio?: number;
}

async function quiet(chainWithRoot: boolean, real: boolean, seed: string): Promise<Quiet> {
  const { topology, pki } = baselinePki(1);
  const bench = await benchHandshakes(topology, pki, FIDELITY_PATH, { chainWithRoot }, seed);
  const out: Quiet = { benchMs: round(bench.durationsMs[0]!, 1), tlsBytes: bench.tlsBytes };
  if (!real) return out;
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await opensslHandshakes(topology, pki, FIDELITY_PATH, chainWithRoot, seed));
  const realMs = median(runs.map((r) => r.durationsMs[0]!));
  return { ...out, realMs: round(realMs, 1), realTlsBytes: runs[0]!.tlsBytes, ratio: round(bench.durationsMs[0]! / realMs, 3) };
}

interface Storm {
  tns: number;
  chainWithRoot: boolean;
  measuredS: number;
  boundS: number;
  ratio: number;
  realS?: number;
  benchToReal?: number;
}

async function storm(tns: number, chainWithRoot: boolean, real: boolean, seed: string): Promise<Storm> {
  const { topology, pki } = baselinePki(tns);
  const bench = await benchHandshakes(topology, pki, FIDELITY_PATH, { chainWithRoot }, seed);
  const boundS = stormBoundS(G3, tns, bench.phyBytes!);
  const measuredS = bench.spanMs / 1000;
  const out: Storm = { tns, chainWithRoot, measuredS: round(measuredS, 2), boundS: round(boundS, 2), ratio: round(measuredS / boundS, 2) };
  if (!real) return out;
  const realS = (await opensslHandshakes(topology, pki, FIDELITY_PATH, chainWithRoot, seed)).spanMs / 1000;
  return { ...out, realS: round(realS, 2), benchToReal: round(measuredS / realS, 2) };
}

async function main(): Promise<void> {
  const tns = Math.max(50, Number(process.env.TLS_PERF_TNS ?? 50));
  const seed = process.env.TLS_PERF_SEED ?? '1';
  const real = process.env.TLS_PERF_REAL !== '0';
  const scenario = { ...DEFAULT_SCENARIO, tns, seed };
  const started = performance.now();
  const tcp = describeTcp({ ...DEFAULT_RELIABLE_OPTIONS, mss: G3.maxFrameBytes - tlsFrameHeaderBytes('tn1.001') });
  const quietRuns = { withoutRoot: await quiet(false, real, seed), withRoot: await quiet(true, real, seed) };
  const storms: Storm[] = [];
  for (const n of [50, 200])
    for (const withRoot of [false, true]) storms.push(await storm(n, withRoot, real && n === 50 && !withRoot, seed));
  for (const s of storms)
    log(
      `storm ${s.tns} TNs ${s.chainWithRoot ? 'with' : 'without'} root: ${s.measuredS} s, bound ${s.boundS} s${s.realS ? `, real ${s.realS} s` : ''}`,
    );
  const hs = await handshakeBytes(seed);
  const lean = await runMode('lean', scenario);
  const tls = await runMode('smgw-tls', scenario);
  const restoration = tls.storm!;
  const restorationRatio = restoration.measuredS / restoration.boundS;
  const q = (name: string, r: Quiet): string =>
    `quiet        ${name}: bench ${r.benchMs} ms, ${r.tlsBytes} TLS bytes` +
    (r.realMs === undefined ? '' : `; real OpenSSL ${r.realMs} ms, ${r.realTlsBytes} B (bench/real ${r.ratio})`);
  const lines = [
    `perf:tls on ${scenario.plc} (WAN ${scenario.wan}), seed ${seed}; bench on the virtual clock, real OpenSSL on the real clock; ${((performance.now() - started) / 1000).toFixed(1)} s of wall clock`,
    `tcp          IW ${tcp.initialWindowSegments} segments (${tcp.initialWindowBytes} B), MSS ${tcp.mssBytes} B, delayed ACK ${tcp.ackDelayMs} ms, RTO ${tcp.initialRtoMs} ms initial, ${tcp.minRtoMs}..${tcp.maxRtoMs} ms`,
    q('chains without root', quietRuns.withoutRoot),
    q('chains with root   ', quietRuns.withRoot),
    ...storms.map(
      (s) =>
        `storm        ${s.tns} TNs, ${s.chainWithRoot ? 'with' : 'without'} root: ${s.measuredS} s, bound ${s.boundS} s (${s.ratio} x)` +
        (s.realS === undefined ? '' : `; real OpenSSL ${s.realS} s (bench/real ${s.benchToReal})`),
    ),
    `restoration  ${restoration.tns} TNs on 2 % loss: ${restoration.measuredS.toFixed(2)} s, bound ${restoration.boundS.toFixed(2)} s (${restorationRatio.toFixed(2)} x)`,
    `handshake    full ${hs.full} B, resumed ${hs.resumed} B (frame bytes both ways)`,
    `automation   lean p50 ${lean.automation.p50Ms.toFixed(1)} / p99 ${lean.automation.p99Ms.toFixed(1)} ms, smgw-tls p50 ${tls.automation.p50Ms.toFixed(1)} / p99 ${tls.automation.p99Ms.toFixed(1)} ms`,
    `per command  lean ${Math.round(lean.bytesPerCommand)} B, smgw-tls ${Math.round(tls.bytesPerCommand)} B on the segment`,
  ];
  report(
    {
      tcp,
      quiet: quietRuns,
      storms,
      handshakeBytes: { full: hs.full, resumed: hs.resumed },
      storm: { tns: restoration.tns, measuredS: round(restoration.measuredS, 2), boundS: round(restoration.boundS, 2) },
      automation: {
        lean: { p50Ms: round(lean.automation.p50Ms, 1), p99Ms: round(lean.automation.p99Ms, 1) },
        tls: { p50Ms: round(tls.automation.p50Ms, 1), p99Ms: round(tls.automation.p99Ms, 1) },
      },
      bytesPerCommand: { lean: Math.round(lean.bytesPerCommand), tls: Math.round(tls.bytesPerCommand) },
      stormRatio: round(restorationRatio, 2),
      automationP99Ratio: round(tls.automation.p99Ms / lean.automation.p99Ms, 1),
      handshakePhyBytes: Math.round(hs.fullPhy),
      automationDuringStorm: {
        lean: { p99Ms: round(lean.automationDuringStorm.p99Ms, 1) },
        tls: { p99Ms: round(tls.automationDuringStorm.p99Ms, 1) },
      },
      tns,
      preset: scenario.plc,
      clock: real ? 'virtual (bench), real (OpenSSL)' : 'virtual',
    },
    lines,
  );
}

main().catch((err: unknown) => {
  console.error(`perf:tls: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
