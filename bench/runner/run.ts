/**
 * One bench run: for each mode of the scenario, the same topology, wire settings and seed; boards,
 * nodes, workload, grid events and campaigns on the run's clock; every sample to the outputs;
 * then the summary, the thresholds and the results directory.
 */
import { createEmulatedNetwork, type EmulatedNetwork, type RemoteWire } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import { GoalOracle, judgeConfidentiality, topologyMembership } from '../../nodes/oracle/goal-oracle';
import type { ModeName } from '../../nodes/modes';
import { RealClock, VirtualClock, type Clock } from '../../core/clock';
import { onClock, passTime } from '../../core/clock-wait';
import { cryptoBackend } from '../../nodes/crypto';
import { CryptoOpCounter } from '../../nodes/crypto/op-counter';
import { createMetrics, type Metrics, type Sample } from '../../core/metrics';
import { Random } from '../../core/random';
import { CampaignRunner } from '../campaign/campaign-runner';
import type { LoadedCampaign } from '../campaign/load';
import type { Scenario } from '../scenario/schema';
import { createScenarioMode, scenarioProfile, type RunnableMode } from './mode-factory';
import { CRYPTO_REPORT_MS, every, Schedule } from './schedule';
import { createBoards } from './boards';
import { countingWorkload, scheduleWorkload, type WorkloadFacts } from './workload';
import type { ModeFacts } from './summary';
import { startRun, type RunFrameOptions, type RunResult } from './run-results';
import { peekClassName } from '../../nodes/protocol/message-class';
import type { TnBoard } from '../../nodes/boards/board';

export type { RunResult } from './run-results';

export interface Progress {
  readonly mode: ModeName;
  readonly phase: 'bootstrap' | 'run' | 'closing';
  readonly wallMs: number;
  /** Run time on the run's clock since bootstrap ended. */
  readonly simulatedMs: number;
  readonly durationMs: number;
  readonly frames: number;
  readonly attacks: number;
  /** Events (timers) the virtual clock fired so far; 0 on the real clock. */
  readonly events: number;
}

export interface RunOptions extends RunFrameOptions {
  readonly onProgress?: (progress: Progress) => void;
  /** Called as each phase ends, after a last progress report of it (perf:scale measures the heap after bootstrap). */
  readonly onPhaseEnd?: (progress: Progress) => void;
  /** Called with each mode's boards and clock once they are built (tests use it to reset one). */
  readonly onBoards?: (mode: ModeName, boards: ReadonlyMap<string, TnBoard>, clock: Clock) => void;
  /** Called with each mode once built, before bootstrap (tests break a node through it). */
  readonly onMode?: (name: ModeName, mode: RunnableMode) => void;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const run = await startRun(scenario, options);
  try {
    for (const name of scenario.modes) {
      run.log(`${name}: starting`);
      const mode = run.startMode(name);
      mode.end(await runMode(name, scenario, run.runId, run.campaigns, mode.record, options));
    }
  } finally {
    await run.stopOutputs();
  }
  return run.finish();
}

export async function runMode(
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
  const network = scenarioNetwork(scenario, { topology, clock, random, metrics });
  const boards = createBoards(scenario, topology, clock, random, metrics);
  options.onBoards?.(name, boards, clock);
  const oracle = new GoalOracle(topologyMembership(topology));
  const facts: WorkloadFacts = { commands: 0, addressed: 0, commandBytes: [], firmwareRollouts: 0 };
  const cryptoOps = new CryptoOpCounter();
  const built = createScenarioMode(name, { scenario, topology, clock, network, metrics, random, boards, oracle, cryptoOps });
  options.onMode?.(name, built);
  const mode = countingWorkload(built, facts, metrics);
  // the judge opens with the scenario's backend: an ideal box does not open under real ECIES
  const untap = judgeConfidentiality(oracle, mode, network, topology, cryptoBackend(scenario.crypto.tn));
  const cryptoReports = every(clock, CRYPTO_REPORT_MS, () => cryptoOps.report(metrics));
  campaigns = CampaignRunner.create(loadedCampaigns, {
    mode,
    modeName: name,
    network,
    clock,
    oracle,
    metrics,
    topology,
    random: random.fork('campaigns'),
    crypto: scenario.crypto.tn,
    timeScale: scenario.campaignTimeScale,
    ...(options.log ? { log: options.log } : {}),
  });
  const attacks = campaigns;
  const wallStart = Date.now();
  let phase: Progress['phase'] = 'bootstrap';
  let startedAt = clock.now();
  const progress = (): Progress => ({
    mode: name,
    phase,
    wallMs: Date.now() - wallStart,
    simulatedMs: phase === 'bootstrap' ? 0 : Math.min(scenario.duration, clock.now() - startedAt),
    durationMs: scenario.duration,
    frames: framesOffered(network),
    attacks: attacks.injected,
    events: clock instanceof VirtualClock ? clock.fired : 0,
  });
  const report = () => options.onProgress?.(progress());
  const phaseEnded = () => {
    report();
    options.onPhaseEnd?.(progress());
  };
  const ticker = setInterval(report, 1_000);
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= mode.close());
  try {
    await onClock(clock, Promise.all([...boards.values()].map((b) => b.ready())));
    const bootstrap = await onClock(clock, mode.bootstrap());
    phaseEnded();
    phase = 'run';
    startedAt = clock.now();
    const schedule = new Schedule(clock, startedAt);
    const pending: Promise<unknown>[] = [];
    scheduleWorkload(scenario, topology, mode, schedule, pending);
    attacks.start(schedule);
    await passTime(clock, scenario.duration);
    phaseEnded();
    phase = 'closing';
    schedule.cancel();
    const failedSteps = attacks.finish();
    await close();
    await Promise.allSettled(pending);
    phaseEnded();
    return { mode: name, parameters: built.parameters, bootstrap, ...facts, violations: oracle.violations, failedSteps };
  } finally {
    clearInterval(ticker);
    untap();
    cryptoReports.cancel();
    cryptoOps.report(metrics);
    // the mode is closed on every path: also when bootstrap, a campaign or the workload threw
    await close().catch((err: unknown) => options.log?.(`${name}: closing the mode failed: ${(err as Error).message}`));
    await Promise.all([...boards.values()].map((b) => b.close()));
    await network.close();
  }
}

/**
 * The scenario's emulated wire on a clock: its link profiles, the protocol's frame classifier, the
 * channel's stream of the run's seed; `remote` in a partition of a partitioned run.
 */
export function scenarioNetwork(
  scenario: Scenario,
  on: { topology: Topology; clock: Clock; random: Random; metrics: Metrics; remote?: RemoteWire },
): EmulatedNetwork {
  const { topology, clock, random, metrics, remote } = on;
  return createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    metrics,
    profileFor: (link) => scenarioProfile(scenario, link),
    ...(remote ? { remote } : {}),
  });
}

/** Frames the network's senders offered to its links so far (progress). */
export function framesOffered(network: EmulatedNetwork): number {
  let n = 0;
  for (const link of Object.values(network.control.stats().links)) n += link.up.framesOffered + link.down.framesOffered;
  return n;
}
