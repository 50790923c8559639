/**
 * One bench run: for each mode of the scenario, the same topology, wire settings and seed; boards,
 * nodes, workload, grid events and campaigns on the run's clock; every sample to the outputs;
 * then the summary, the thresholds and the results directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmulatedNetwork, type EmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../channel/topology';
import type { TnBoard } from '../../nodes/boards/board';
import { createBoard } from '../../nodes/boards/create-board';
import { GoalMonitor } from '../../nodes/lean/goal-monitor';
import type { ModeName } from '../../nodes/mode';
import { RealClock, VirtualClock, type Clock } from '../../nodes/runtime/clock';
import { createMetrics, type MetricsOutput, type Sample } from '../../nodes/runtime/metrics';
import { Random } from '../../nodes/runtime/random';
import type { NodeId } from '../../nodes/runtime/transport';
import { createOutputs, parseOutSpec } from '../metrics/out-spec';
import { MetricsOutputs } from '../metrics/metrics-outputs';
import { Timebase } from '../metrics/timebase';
import { CampaignRunner } from '../campaign/campaign-runner';
import { loadCampaign, mergeThresholds, type LoadedCampaign } from '../campaign/load';
import type { Scenario } from '../scenario/schema';
import { evaluateThresholds, parseThresholds, type ThresholdResult } from '../thresholds';
import { createMode, scenarioProfile, type RunnableMode } from './mode-factory';
import { Schedule } from './schedule';
import { summarizeMode, type ModeFacts, type ModeSummary } from './summary';
import { writeReport } from './report-html';

export interface Progress {
  readonly mode: ModeName;
  readonly phase: 'bootstrap' | 'run' | 'closing';
  readonly wallMs: number;
  /** Run time on the run's clock since bootstrap ended. */
  readonly simulatedMs: number;
  readonly durationMs: number;
  readonly frames: number;
  readonly attacks: number;
}

export interface RunOptions {
  /** Parent of results/<run-id>/ (default: ./results). */
  readonly resultsRoot?: string;
  /** --out specs (k6 form). */
  readonly out?: readonly string[];
  readonly runId?: string;
  readonly onProgress?: (progress: Progress) => void;
  readonly log?: (line: string) => void;
  /** Outputs added to the ones --out asks for (tests). */
  readonly extraOutputs?: readonly MetricsOutput[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** summary.json keys of the modes. */
export const MODE_KEYS: Readonly<Record<ModeName, string>> = { lean: 'lean', 'smgw-tls': 'tls' };

export interface RunSummary {
  readonly run: string;
  readonly scenario: string;
  readonly seed: string | number;
  readonly clock: Clock['kind'];
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly durationMs: number;
  readonly topology: { readonly dcs: number; readonly tnsPerDc: number; readonly boards: number };
  readonly modes: Record<string, ModeSummary>;
  readonly thresholds: readonly ThresholdResult[];
  readonly ok: boolean;
  readonly outputs: readonly { output: string; report: unknown }[];
}

export interface RunResult {
  readonly runId: string;
  readonly runDir: string;
  readonly summary: RunSummary;
  readonly exitCode: 0 | 99;
}

export function makeRunId(scenario: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${scenario}-${stamp}`;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  // a bad --out must fail before anything is created
  for (const spec of options.out ?? []) parseOutSpec(spec, options.env ?? process.env);
  const startedWall = Date.now();
  const runId = options.runId ?? makeRunId(scenario.name, new Date(startedWall));
  const runDir = join(options.resultsRoot ?? 'results', runId);
  mkdirSync(runDir, { recursive: true });
  const log = options.log ?? (() => {});
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const campaigns = await Promise.all(scenario.campaigns.map((ref) => loadCampaign(ref, scenario.file, topology)));
  const thresholds = parseThresholds(mergeThresholds(scenario.thresholds, campaigns));
  const timebase = new Timebase(scenario.clock, startedWall);
  const outputs = new MetricsOutputs([
    ...createOutputs(options.out ?? [], {
      runDir,
      timebase,
      header: { run: runId, scenario: scenario.name, seed: String(scenario.seed), clock: scenario.clock },
      ...(options.env ? { env: options.env } : {}),
      log,
    }),
    ...(options.extraOutputs ?? []),
  ]);
  await outputs.start();
  const samples: Sample[] = [];
  const modes: Record<string, ModeSummary> = {};
  try {
    for (const name of scenario.modes) {
      log(`${name}: starting`);
      const modeSamples: Sample[] = [];
      const sink = (sample: Sample) => {
        modeSamples.push(sample);
        outputs.addSamples([sample]);
      };
      const facts = await runMode(name, scenario, runId, campaigns, sink, options);
      modes[MODE_KEYS[name]] = summarizeMode(modeSamples, facts);
      samples.push(...modeSamples);
    }
  } finally {
    await outputs.stop().catch((err: unknown) => log(`metrics outputs: ${(err as Error).message}`));
  }
  const results = evaluateThresholds(thresholds, samples);
  const summary: RunSummary = {
    run: runId,
    scenario: scenario.name,
    seed: scenario.seed,
    clock: scenario.clock,
    startedAt: new Date(startedWall).toISOString(),
    wallSeconds: Number(((Date.now() - startedWall) / 1000).toFixed(1)),
    durationMs: scenario.duration,
    topology: { dcs: scenario.topology.dcs, tnsPerDc: scenario.topology.tnsPerDc, boards: scenario.boards.length },
    modes,
    thresholds: results,
    ok: results.every((r) => r.ok),
    outputs: outputs.reports(),
  };
  writeFileSync(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeReport(join(runDir, 'report.html'), summary, samples);
  return { runId, runDir, summary, exitCode: summary.ok ? 0 : 99 };
}

async function runMode(
  name: ModeName,
  scenario: Scenario,
  runId: string,
  loadedCampaigns: readonly LoadedCampaign[],
  sink: (s: Sample) => void,
  options: RunOptions,
): Promise<ModeFacts> {
  const clock: Clock = scenario.clock === 'virtual' ? new VirtualClock() : new RealClock();
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const random = new Random(scenario.seed);
  let campaigns: CampaignRunner | undefined;
  const metrics = createMetrics(
    clock,
    (sample) => {
      sink(sample);
      campaigns?.observe(sample);
    },
    { run: runId, scenario: scenario.name, mode: name },
  );
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    metrics,
    profileFor: (link) => scenarioProfile(scenario, link),
  });
  const boards = createBoards(scenario, topology, clock, random, metrics);
  const monitor = new GoalMonitor();
  const facts: WorkloadFacts = { commands: 0, addressed: 0, commandBytes: [], firmwareRollouts: 0 };
  const mode = countingWorkload(createMode(name, { scenario, topology, clock, network, metrics, random, boards, monitor }), facts);
  campaigns = CampaignRunner.create(loadedCampaigns, {
    mode,
    modeName: name,
    network,
    clock,
    monitor,
    metrics,
    topology,
    random: random.fork('campaigns'),
    ...(options.log ? { log: options.log } : {}),
  });
  const attacks = campaigns;
  const wallStart = Date.now();
  let phase: Progress['phase'] = 'bootstrap';
  let startedAt = clock.now();
  const report = () =>
    options.onProgress?.({
      mode: name,
      phase,
      wallMs: Date.now() - wallStart,
      simulatedMs: phase === 'bootstrap' ? 0 : Math.min(scenario.duration, clock.now() - startedAt),
      durationMs: scenario.duration,
      frames: framesOffered(network),
      attacks: attacks.injected,
    });
  const ticker = setInterval(report, 1_000);
  try {
    await onClock(clock, Promise.all([...boards.values()].map((b) => b.ready())));
    const bootstrap = await onClock(clock, mode.bootstrap());
    phase = 'run';
    startedAt = clock.now();
    const schedule = new Schedule(clock, startedAt);
    const pending: Promise<unknown>[] = [];
    scheduleWorkload(scenario, topology, mode, schedule, pending);
    for (const e of scenario.events) schedule.at(e.at, () => mode.powerRestored?.(e.powerRestored));
    attacks.start(schedule);
    await runFor(clock, scenario.duration);
    phase = 'closing';
    schedule.cancel();
    attacks.finish();
    await mode.close();
    await Promise.allSettled(pending);
    report();
    return { mode: name, bootstrap, ...facts };
  } finally {
    clearInterval(ticker);
    await Promise.all([...boards.values()].map((b) => b.close()));
    await network.close();
  }
}

function createBoards(scenario: Scenario, topology: Topology, clock: Clock, random: Random, metrics: ReturnType<typeof createMetrics>) {
  const boards = new Map<NodeId, TnBoard>();
  for (const spec of scenario.boards) {
    const dc = topology.dcOf(spec.tn)!;
    const deps = { tn: spec.tn, clock, random: random.fork(`board/${spec.tn}`), metrics: metrics.with({ tn: spec.tn, dc, segment: dc, board: spec.kind }) };
    const { tn: _tn, ...boardSpec } = spec;
    boards.set(spec.tn, createBoard(boardSpec, deps));
  }
  return boards;
}

function scheduleWorkload(
  scenario: Scenario,
  topology: Topology,
  mode: RunnableMode,
  schedule: Schedule,
  pending: Promise<unknown>[],
): void {
  const { workload, duration } = scenario;
  if (workload.meterRounds) {
    const { timeout, ...when } = workload.meterRounds;
    schedule.add(when, duration, () => pending.push(mode.meterRound(timeout)));
  }
  for (const a of workload.automation) {
    const dcs = a.dc === 'all' ? topology.dcs.map((d) => d.id) : [a.dc];
    const pattern = typeof a.relay === 'string' ? [a.relay] : a.relay;
    schedule.add(a, duration, (i) => {
      for (const dc of dcs) mode.automation(dc, { relay: pattern[i % pattern.length]! });
    });
  }
  for (const c of workload.confidential) schedule.at(c.at, () => mode.confidential(c.tn, new TextEncoder().encode(c.text)));
  for (const f of workload.firmware) {
    schedule.at(f.at, () => {
      const image = new Uint8Array(f.size).map((_, i) => (i * 31 + f.version) & 0xff);
      pending.push(mode.firmware({ version: f.version, image }, f.timeout));
    });
  }
}

interface WorkloadFacts {
  commands: number;
  addressed: number;
  commandBytes: number[];
  firmwareRollouts: number;
}

/** The mode, counting the commands and rollouts issued to it (by the workload or by campaigns). */
function countingWorkload(mode: RunnableMode, facts: WorkloadFacts): RunnableMode {
  return {
    name: mode.name,
    bootstrap: () => mode.bootstrap(),
    meterRound: (timeoutMs) => mode.meterRound(timeoutMs),
    automation: (dc, command) => {
      const issued = mode.automation(dc, command);
      facts.commands++;
      facts.addressed += issued.addressed;
      facts.commandBytes.push(issued.segmentBytes);
      return issued;
    },
    confidential: (tn, payload) => mode.confidential(tn, payload),
    firmware: (image, timeoutMs) => {
      facts.firmwareRollouts++;
      return mode.firmware(image, timeoutMs);
    },
    close: () => mode.close(),
    ...(mode.powerRestored ? { powerRestored: (dc: NodeId) => mode.powerRestored!(dc) } : {}),
    ...(mode.keysOf ? { keysOf: (node: NodeId) => mode.keysOf!(node) } : {}),
    ...(mode.replace ? { replace: (node: NodeId) => mode.replace!(node) } : {}),
  };
}

/** Awaits work that needs the clock to move: a virtual clock is driven, a real one just waited on. */
export function onClock<T>(clock: Clock, work: Promise<T>): Promise<T> {
  return clock instanceof VirtualClock ? clock.drive(work) : work;
}

async function runFor(clock: Clock, ms: number): Promise<void> {
  if (clock instanceof VirtualClock) await clock.advance(ms);
  else await clock.sleep(ms);
}

function framesOffered(network: EmulatedNetwork): number {
  let n = 0;
  for (const link of Object.values(network.control.stats().links)) n += link.up.framesOffered + link.down.framesOffered;
  return n;
}
