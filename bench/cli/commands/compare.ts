/**
 * gridbench compare: one scenario in both security architectures, on identical channel settings
 * and seed, side by side. Lean mode (signed multicast) and smgw-tls mode (a TLS channel per TN)
 * run the same workload through the mode contract (nodes/mode.ts) on the in-process emulated network and a virtual clock:
 * bootstrap, a meter round, automation commands in normal operation, then a power restoration
 * on the segment (a renegotiation storm in smgw-tls mode) with one more command issued during it.
 */
import { createEmulatedNetwork, type EmulatedNetwork } from '../../../channel/emulated-network';
import { PRESET_NAMES, type PresetName } from '../../../channel/presets';
import { Topology } from '../../../core/topology';
import { GoalOracle, topologyMembership } from '../../../nodes/oracle/goal-oracle';
import type { StormReport } from '../../../nodes/mode';
import { MODE_NAMES, type ModeName } from '../../../nodes/modes';
import { VirtualClock } from '../../../core/clock';
import { SampleRecorder } from '../../../core/metrics';
import { Random } from '../../../core/random';
import { createScenarioMode, scenarioProfile } from '../../runner/mode-factory';
import { scenarioSchema, type Scenario as BenchScenario } from '../../scenario/schema';
import { percentile } from '../../../core/statistics';
import { EXIT, parseCommandArgs, type Command } from '../command';
import { peekClassName } from '../../../nodes/protocol/message-class';

export interface Scenario {
  readonly tns: number;
  readonly seed: string;
  readonly plc: PresetName;
  readonly wan: PresetName;
  /** Automation commands in normal operation, one a minute. */
  readonly commands: number;
}

export const DEFAULT_SCENARIO: Scenario = { tns: 100, seed: '1', plc: 'g3-plc-cenelec-a', wan: 'dsl', commands: 5 };

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

export interface ModeResult {
  readonly mode: ModeName;
  /** TNs enrolled (BootstrapReport.enrolled: the same meaning in both modes). */
  readonly enrolled: number;
  /** DCs enrolled, where the mode enrols DCs (lean); absent where DCs only route (smgw-tls). */
  readonly dcsEnrolled?: number;
  readonly bootstrapS: number;
  readonly meterRoundS: number;
  readonly meterResponses: number;
  readonly automation: LatencySummary;
  /** Frame bytes one command put on the PLC segment (both directions, measured on the wire). */
  readonly bytesPerCommand: number;
  /** Latency of a command issued one second into the power restoration. */
  readonly automationDuringStorm: LatencySummary;
  readonly storm?: { readonly tns: number; readonly measuredS: number; readonly boundS: number; readonly handshakeBytes: number };
  /** The bench's own wall-clock time for this mode, seconds. */
  readonly wallS: number;
}

const DC = 'dc1';
const SETTLE_MS = 60_000;
const COMMAND_WINDOW_MS = 60_000;

function summary(values: readonly number[]): LatencySummary {
  return { p50Ms: percentile(values, 50), p99Ms: percentile(values, 99), samples: values.length };
}

function plcBytes(network: EmulatedNetwork): number {
  const link = network.control.stats().links[`plc:${DC}`];
  return link ? link.up.bytesOffered + link.down.bytesOffered : 0;
}

/** The compare scenario as a bench scenario, so both modes are built as the runner builds them. */
export function benchScenario(scenario: Scenario): BenchScenario {
  return {
    ...scenarioSchema.parse({
      seed: scenario.seed,
      modes: MODE_NAMES,
      topology: { dcs: 1, tnsPerDc: scenario.tns },
      channel: { plc: { preset: scenario.plc }, wan: { preset: scenario.wan } },
    }),
    name: 'compare',
    clock: 'virtual',
    file: '(gridbench compare)',
  };
}

/** Runs the scenario in one mode; everything is on a fresh virtual clock, network and seed. */
export async function runMode(name: ModeName, scenario: Scenario): Promise<ModeResult> {
  const wallStart = performance.now();
  const clock = new VirtualClock();
  const topology = Topology.build(1, scenario.tns);
  const random = new Random(scenario.seed);
  const recorder = new SampleRecorder();
  const metrics = recorder.metrics(clock, { run: 'compare', scenario: `${scenario.tns}tn-${scenario.plc}`, mode: name });
  const bench = benchScenario(scenario);
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    profileFor: (link) => scenarioProfile(bench, link),
  });
  // built exactly as `gridbench run` builds the modes, from the same kind of scenario
  const mode = createScenarioMode(name, {
    scenario: bench,
    topology,
    clock,
    network,
    metrics,
    random,
    boards: new Map(),
    oracle: new GoalOracle(topologyMembership(topology)),
  });
  try {
    const boot = await clock.drive(mode.bootstrap());
    await clock.advance(SETTLE_MS);
    const round = await clock.drive(mode.meterRound(600_000));
    await clock.advance(SETTLE_MS);

    const latencies: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < scenario.commands; i++) {
      const before = plcBytes(network);
      const seen = recorder.samples.length;
      mode.automation(DC, { relay: i % 2 ? 'on' : 'off' });
      await clock.advance(COMMAND_WINDOW_MS);
      bytes.push(plcBytes(network) - before);
      for (const s of recorder.samples.slice(seen))
        if (s.measurement === 'automation_latency') latencies.push(s.fields.latency_ms as number);
    }

    const stormSeen = recorder.samples.length;
    const restored = mode.powerRestored(DC);
    await clock.advance(1_000);
    mode.automation(DC, { relay: 'on' });
    const storm: StormReport | undefined = await clock.drive(restored);
    await clock.advance(COMMAND_WINDOW_MS);
    const duringStorm = recorder.samples
      .slice(stormSeen)
      .filter((s) => s.measurement === 'automation_latency')
      .map((s) => s.fields.latency_ms as number);

    return {
      mode: name,
      enrolled: boot.enrolled,
      ...(boot.dcsEnrolled !== undefined ? { dcsEnrolled: boot.dcsEnrolled } : {}),
      bootstrapS: boot.durationMs / 1000,
      meterRoundS: round.durationMs / 1000,
      meterResponses: round.responses,
      automation: summary(latencies),
      bytesPerCommand: bytes.length ? bytes.reduce((a, b) => a + b, 0) / bytes.length : Number.NaN,
      automationDuringStorm: summary(duringStorm),
      ...(storm
        ? { storm: { tns: storm.tns, measuredS: storm.durationS, boundS: storm.boundS, handshakeBytes: storm.phyBytesPerHandshake } }
        : {}),
      wallS: (performance.now() - wallStart) / 1000,
    };
  } finally {
    await mode.close();
    await network.close();
  }
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits));

export function comparisonTable(lean: ModeResult, tls: ModeResult): string {
  const rows: Array<[string, string, string]> = [
    ['TNs enrolled', String(lean.enrolled), String(tls.enrolled)],
    ['DCs enrolled', String(lean.dcsEnrolled ?? '-'), String(tls.dcsEnrolled ?? '-')],
    ['meter round (s)', fmt(lean.meterRoundS, 2), fmt(tls.meterRoundS, 2)],
    ['meter responses', String(lean.meterResponses), String(tls.meterResponses)],
    ['automation p50 (ms)', fmt(lean.automation.p50Ms), fmt(tls.automation.p50Ms)],
    ['automation p99 (ms)', fmt(lean.automation.p99Ms), fmt(tls.automation.p99Ms)],
    ['bytes on segment per command', fmt(lean.bytesPerCommand, 0), fmt(tls.bytesPerCommand, 0)],
    ['automation p99 in a power restoration (ms)', fmt(lean.automationDuringStorm.p99Ms), fmt(tls.automationDuringStorm.p99Ms)],
    ['storm duration (s)', '-', fmt(tls.storm?.measuredS, 2)],
    ['storm bound N*S*8/R (s)', '-', fmt(tls.storm?.boundS, 2)],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(4, ...rows.map((r) => r[1].length));
  const lines = [`${''.padEnd(w0)}  ${'lean'.padStart(w1)}  smgw-tls`];
  for (const [k, a, b] of rows) lines.push(`${k.padEnd(w0)}  ${a.padStart(w1)}  ${b.padStart(8)}`);
  return lines.join('\n');
}

const USAGE = `usage: gridbench compare [--tns N] [--seed S] [--plc PRESET] [--wan PRESET] [--commands N] [--json]

Runs one scenario (1 DC, N TNs) in lean and smgw-tls mode on the same emulated channel and seed,
on a virtual clock, and prints automation latency p50/p99, bytes on the segment per command,
meter-round duration, and the smgw-tls renegotiation storm of a power restoration beside its
bound N*S*8/R. Defaults: --tns 100 --seed 1 --plc g3-plc-cenelec-a --wan dsl --commands 5.`;

export const command: Command = {
  summary: 'one scenario in lean and smgw-tls mode side by side (latency, bytes, storm)',
  async run(argv) {
    const parsed = parseCommandArgs('compare', USAGE, {
      args: argv,
      options: {
        tns: { type: 'string', default: String(DEFAULT_SCENARIO.tns) },
        seed: { type: 'string', default: DEFAULT_SCENARIO.seed },
        plc: { type: 'string', default: DEFAULT_SCENARIO.plc },
        wan: { type: 'string', default: DEFAULT_SCENARIO.wan },
        commands: { type: 'string', default: String(DEFAULT_SCENARIO.commands) },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const tns = Number(values.tns);
    const commands = Number(values.commands);
    const bad = (msg: string): number => (console.error(`gridbench compare: ${msg}`), EXIT.error);
    if (!Number.isInteger(tns) || tns < 1 || tns > 999) return bad(`--tns: "${values.tns}" must be an integer from 1 to 999`);
    if (!Number.isInteger(commands) || commands < 1) return bad(`--commands: "${values.commands}" must be a positive integer`);
    for (const opt of ['plc', 'wan'] as const)
      if (!PRESET_NAMES.includes(values[opt] as PresetName))
        return bad(`--${opt}: unknown preset "${values[opt]}" (expected one of ${PRESET_NAMES.join(', ')})`);
    const scenario: Scenario = { tns, seed: values.seed!, plc: values.plc as PresetName, wan: values.wan as PresetName, commands };
    console.log(`gridbench compare: 1 DC x ${tns} TNs, PLC ${scenario.plc}, WAN ${scenario.wan}, seed ${scenario.seed}, virtual clock`);
    const lean = await runMode('lean', scenario);
    const tls = await runMode('smgw-tls', scenario);
    console.log(comparisonTable(lean, tls));
    console.log(`(bench time: lean ${lean.wallS.toFixed(1)} s, smgw-tls ${tls.wallS.toFixed(1)} s of wall clock)`);
    if (values.json) console.log(JSON.stringify({ scenario, clock: 'virtual', lean, tls }));
    return EXIT.ok;
  },
};
