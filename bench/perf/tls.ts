/**
 * perf:tls: smgw-tls mode against lean mode on the emulated G3-PLC CENELEC-A segment, virtual
 * clock. Human-readable lines first, then one JSON object as the last line:
 *   handshakeBytes   frame bytes (both directions) of one full and one resumed TLS 1.2 handshake
 *                    of a TN on a quiet segment (TlsRecord framing included, PHY overhead not)
 *   storm            the renegotiation storm of a power restoration on a segment of TNS TNs:
 *                    first handshake start to last finish, beside the bound N*S*8/R (target:
 *                    measuredS <= 1.5 x boundS)
 *   automation       automation command latency p50/p99 in normal operation, per mode
 *   bytesPerCommand  frame bytes one automation command put on the segment, per mode
 * Environment: TLS_PERF_TNS (default 50, at least 50), TLS_PERF_SEED (default 1).
 */
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { PRESETS } from '../../channel/presets';
import { Topology } from '../../core/topology';
import { VirtualClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import { createMode } from '../../nodes/modes';
import { DEFAULT_SCENARIO, runMode } from '../cli/commands/compare';
import { report, round } from './measure';
import { peekClassName } from '../../nodes/protocol/message-class';

const log = (msg: string): void => void process.stderr.write(`perf:tls: ${msg}\n`);

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
  const g3 = PRESETS['g3-plc-cenelec-a'];
  const mode = createMode('smgw-tls', { clock, network, topology, random, metrics: NO_METRICS, plc: () => g3 });
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

async function main(): Promise<void> {
  const tns = Math.max(50, Number(process.env.TLS_PERF_TNS ?? 50));
  const seed = process.env.TLS_PERF_SEED ?? '1';
  const scenario = { ...DEFAULT_SCENARIO, tns, seed };
  const started = performance.now();
  const hs = await handshakeBytes(seed);
  log(`full handshake ${hs.full} B (${Math.round(hs.fullPhy)} byte-times with PHY overhead), resumed ${hs.resumed} B`);
  const lean = await runMode('lean', scenario);
  log(
    `lean: ${lean.enrolled} enrolled, automation p50 ${lean.automation.p50Ms.toFixed(1)} ms p99 ${lean.automation.p99Ms.toFixed(1)} ms, ${lean.bytesPerCommand} B per command`,
  );
  const tls = await runMode('smgw-tls', scenario);
  log(
    `smgw-tls: ${tls.enrolled} enrolled, automation p50 ${tls.automation.p50Ms.toFixed(1)} ms p99 ${tls.automation.p99Ms.toFixed(1)} ms, ${tls.bytesPerCommand} B per command`,
  );
  const storm = tls.storm!;
  const ratio = storm.measuredS / storm.boundS;
  const lines = [
    `perf:tls on ${scenario.plc} (WAN ${scenario.wan}), 1 DC x ${tns} TNs, seed ${seed}, virtual clock; ${((performance.now() - started) / 1000).toFixed(1)} s of wall clock`,
    `handshake    full ${hs.full} B, resumed ${hs.resumed} B (frame bytes both ways)`,
    `storm        ${storm.tns} TNs: ${storm.measuredS.toFixed(2)} s measured, bound ${storm.boundS.toFixed(2)} s (${ratio.toFixed(2)} x; target <= 1.5 x) ${ratio <= 1.5 ? 'ok' : 'MISSED'}`,
    `automation   lean p50 ${lean.automation.p50Ms.toFixed(1)} / p99 ${lean.automation.p99Ms.toFixed(1)} ms, smgw-tls p50 ${tls.automation.p50Ms.toFixed(1)} / p99 ${tls.automation.p99Ms.toFixed(1)} ms (p99 ratio ${(tls.automation.p99Ms / lean.automation.p99Ms).toFixed(0)} x)`,
    `per command  lean ${Math.round(lean.bytesPerCommand)} B, smgw-tls ${Math.round(tls.bytesPerCommand)} B on the segment`,
  ];
  report(
    {
      handshakeBytes: { full: hs.full, resumed: hs.resumed },
      storm: { tns: storm.tns, measuredS: round(storm.measuredS, 2), boundS: round(storm.boundS, 2) },
      automation: {
        lean: { p50Ms: round(lean.automation.p50Ms, 1), p99Ms: round(lean.automation.p99Ms, 1) },
        tls: { p50Ms: round(tls.automation.p50Ms, 1), p99Ms: round(tls.automation.p99Ms, 1) },
      },
      bytesPerCommand: { lean: Math.round(lean.bytesPerCommand), tls: Math.round(tls.bytesPerCommand) },
      stormRatio: round(ratio, 2),
      automationP99Ratio: round(tls.automation.p99Ms / lean.automation.p99Ms, 1),
      handshakePhyBytes: Math.round(hs.fullPhy),
      automationDuringStorm: {
        lean: { p99Ms: round(lean.automationDuringStorm.p99Ms, 1) },
        tls: { p99Ms: round(tls.automationDuringStorm.p99Ms, 1) },
      },
      tns,
      preset: scenario.plc,
      clock: 'virtual',
    },
    lines,
  );
}

main().catch((err: unknown) => {
  console.error(`perf:tls: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
