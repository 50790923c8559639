/**
 * gridbench run --workers N [--partitions P]: a partitioned run (issue 13). It is a distributed
 * run whose hosts are worker threads on virtual clocks instead of OS processes on the real clock
 * (processes.ts): provisioned once into a temporary state directory, each partition handed only
 * its nodes' keys (exportHostState), built as a host (partition-host.ts) and advanced by this
 * coordinator in windows under conservative synchronisation (YAWNS):
 *
 *   H = (the earliest timer or arriving frame of any partition) + L, L the lookahead (the least
 *   WAN latency, channel/lookahead.ts); every partition fires its timers before H; then the
 *   frames they shipped to each other are handed over, the oracle events and samples go to the
 *   run's oracle and sink in one merged order (merge.ts), and the next window starts.
 *
 * No frame sent in a window can arrive before its H, so no partition ever receives one in its
 * past; the partitions are fixed by the scenario and P (plan.ts) and their inputs come in one
 * order, so the results are the same for any number of workers. They need not equal the classic
 * in-process engine's (run.ts): ties between partitions are ordered differently.
 *
 * Phases: bootstrap ends in the window in which the last partition's bootstrap resolved; the run
 * starts at that window's H (T), every partition starts its workload at T, the run fires every
 * timer before T + duration, then the partitions close their modes and send their facts.
 */
import { existsSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookaheadMs } from '../../../channel/lookahead';
import { PRESETS } from '../../../channel/presets';
import { resolveProfile } from '../../../channel/profile';
import type { Sample } from '../../../core/metrics';
import { Topology } from '../../../core/topology';
import type { NodeId } from '../../../core/transport';
import { cryptoBackend } from '../../../nodes/crypto';
import type { Identity } from '../../../nodes/lean/identity';
import type { ModeName } from '../../../nodes/modes';
import { GoalOracle, judgeConfidentiality, topologyMembership } from '../../../nodes/oracle/goal-oracle';
import type { Scenario } from '../../scenario/schema';
import { mergeHostFacts } from '../host-facts';
import { scenarioProfile } from '../mode-factory';
import { exportHostState, provisionState } from '../provision';
import { applyObserved } from '../relay-judging';
import type { Progress, RunOptions } from '../run';
import { startRun, type RunResult, type StartedRun } from '../run-results';
import type { ModeFacts } from '../summary';
import { deliveriesByPartition, mergedEvents, mergedSamples } from './merge';
import type { PartitionEnd, PartitionReport, WorkerMessage, WorkerSetup } from './messages';
import { hostPartitions, planPartitions, workerCount, type Partition } from './plan';
import { WindowStats } from './window-stats';
import { WorkerPool } from './worker-pool';

export interface PartitionedRunOptions extends RunOptions {
  /** --workers: the threads hosting the partitions (default: the machine's cores, at most one per partition). */
  readonly workers?: number;
  /** --partitions: segment partitions besides the HES's (default: the DCs, at most 8). */
  readonly partitions?: number;
  /** Called with each partition's end, its channel counters with it (tests count each frame once through it). */
  readonly onPartitionEnd?: (end: PartitionEnd) => void;
  /** Called with each partition's state directory once exported, before the workers start (tests break one through it). */
  readonly onProvisioned?: (stateDirs: readonly string[]) => void;
  /** How long a worker may take for one window, its build or its close before the run fails (default 5 min). */
  readonly barrierTimeoutMs?: number;
}

const BARRIER_TIMEOUT_MS = 300_000;

/** What a partitioned run cannot run, refused before anything starts: each names the scenario's field. */
export function refusePartitioned(scenario: Scenario): void {
  const where = `${scenario.file}: a partitioned run (--workers)`;
  if (scenario.campaigns.length)
    throw new Error(`${where} runs no campaigns (campaigns:): their attacker and operator act across partitions; run it without --workers`);
  if (scenario.clock !== 'virtual') throw new Error(`${where} runs on the virtual clock only (clock: ${scenario.clock})`);
  const board = scenario.boards.find((b) => b.kind !== 'virtual');
  if (board)
    throw new Error(
      `${where} runs virtual boards only (boards: ${board.tn} is ${board.kind}, which needs the real clock and the main thread)`,
    );
}

export async function runPartitioned(scenario: Scenario, options: PartitionedRunOptions = {}): Promise<RunResult> {
  refusePartitioned(scenario);
  const probe = startPlan(scenario, options);
  const run = await startRun(scenario, options);
  const stateDir = mkdtempSync(join(stateRoot(probe.topology.nodes.length), 'gridbench-partitions-'));
  try {
    const operatorState = join(stateDir, 'operator');
    provisionState(scenario, operatorState);
    const states = probe.plan.map((p) => {
      const dir = join(stateDir, `partition-${p.index}`);
      exportHostState(scenario, operatorState, p.selection, dir);
      return dir;
    });
    options.onProvisioned?.(states);
    run.log(
      `partitioned: ${probe.plan.length} partitions (the HES's and ${probe.plan.length - 1} of segments) on ${probe.workers} worker thread(s), lookahead ${probe.lookahead} ms`,
    );
    for (const mode of scenario.modes) {
      run.log(`${mode}: starting`);
      const recorder = run.startMode(mode);
      recorder.end(await runModePartitioned(mode, scenario, run, recorder.record, { ...probe, states }, options));
    }
  } finally {
    await run.stopOutputs();
    rmSync(stateDir, { recursive: true, force: true });
  }
  return run.finish();
}

/** What provisioning writes per node (8 KiB measured, counted 16), twice: the operator's state and the partitions' shares. */
const STATE_BYTES_PER_NODE = 2 * 16 * 1024;

/**
 * Where the run's temporary state goes: the machine's memory file system when it has room for
 * it, twice over, else the temporary directory. The state is thrown away at the run's end, and
 * provisioning replaces every file atomically, fsync included (core/replace-file.ts): on disk that
 * was most of a partitioned run's setup (1,000 TNs provisioned and one share exported: 3.2 s on
 * disk, 1.3 s in /dev/shm).
 */
function stateRoot(nodes: number): string {
  const shm = '/dev/shm';
  try {
    if (existsSync(shm)) {
      const { bavail, bsize } = statfsSync(shm);
      if (bavail * bsize > 2 * nodes * STATE_BYTES_PER_NODE) return shm;
    }
  } catch {
    // no statfs here: the temporary directory
  }
  return tmpdir();
}

/** The partitions, the worker count and the lookahead: bad --workers, --partitions or WAN latency fail here. */
function startPlan(scenario: Scenario, options: PartitionedRunOptions) {
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const plan = planPartitions(topology, options.partitions);
  const workers = workerCount(plan.length, options.workers);
  const lookahead = lookaheadMs(topology, (link) => resolveProfile(scenarioProfile(scenario, link), PRESETS, `channel.${link.kind}`));
  return { topology, plan, workers, lookahead };
}

interface Layout {
  readonly topology: Topology;
  readonly plan: readonly Partition[];
  readonly workers: number;
  readonly lookahead: number;
  /** Each partition's exported state directory, by index. */
  readonly states: readonly string[];
}

/** One mode: the workers from their start to the partitions' last samples. */
async function runModePartitioned(
  mode: ModeName,
  scenario: Scenario,
  run: StartedRun,
  record: (sample: Sample) => void,
  layout: Layout,
  options: PartitionedRunOptions,
): Promise<ModeFacts> {
  const { topology, plan, lookahead } = layout;
  const hosted = hostPartitions(plan, layout.workers);
  const setups: WorkerSetup[] = hosted.map((ps) => ({
    scenario,
    mode,
    runId: run.runId,
    partitions: ps.map((partition) => ({ partition, stateDir: layout.states[partition.index]! })),
  }));
  const partitionOf = new Map<NodeId, number>(plan.flatMap((p) => p.nodes.map((n) => [n, p.index] as const)));
  const oracle = new GoalOracle(topologyMembership(topology));
  const keys: Record<NodeId, Identity> = {};
  // the confidentiality judge with every partition's keys, fed the sealed frames they carried (partition-host.ts)
  let judgeFrame: ((e: { bytes: Uint8Array }) => void) | undefined;
  const state = { next: new Map<number, number | undefined>(), fired: new Map<number, number>(), frames: new Map<number, number>() };
  const bootstraps = new Map<number, PartitionReport['bootstrapped']>();
  const take = (reports: readonly PartitionReport[]) => {
    for (const s of mergedSamples(reports)) record(s);
    for (const e of mergedEvents(reports)) {
      if (e.kind === 'frame') judgeFrame?.(e);
      else applyObserved(oracle, e);
    }
    for (const r of reports) {
      state.next.set(r.partition, r.next);
      state.fired.set(r.partition, r.fired);
      state.frames.set(r.partition, r.framesOffered);
      if (r.bootstrapped) bootstraps.set(r.partition, r.bootstrapped);
    }
  };
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const wallStart = Date.now();
  let phase: Progress['phase'] = 'bootstrap';
  let startAt: number | undefined;
  let simulated = 0;
  const progress = (): Progress => ({
    mode,
    phase,
    wallMs: Date.now() - wallStart,
    simulatedMs: phase === 'bootstrap' ? 0 : Math.min(scenario.duration, simulated),
    durationMs: scenario.duration,
    frames: sum(state.frames),
    attacks: 0,
    events: sum(state.fired),
  });
  const phaseEnded = () => {
    options.onProgress?.(progress());
    options.onPhaseEnd?.(progress());
  };
  const ticker = setInterval(() => options.onProgress?.(progress()), 1_000);
  const pool = new WorkerPool(setups, options.barrierTimeoutMs ?? BARRIER_TIMEOUT_MS);
  const perWindow = new WindowStats();
  try {
    const built = expect(await pool.exchange(), 'built');
    for (const m of built) Object.assign(keys, m.type === 'built' ? m.keys : {});
    if (Object.keys(keys).length) {
      const judge = { keysOf: (n: NodeId) => keys[n] ?? missingKeys(n) };
      const tap = (h: (e: { bytes: Uint8Array }) => void) => ((judgeFrame = h), () => (judgeFrame = undefined));
      judgeConfidentiality(oracle, judge, { control: { tap } }, topology, cryptoBackend(scenario.crypto.tn));
    }
    const builtReports = built.flatMap((m) => m.reports);
    // frames shipped while the partitions were built (a WAN without airtime completes a frame inside send) go out in the first window
    let deliveries = deliveriesByPartition(builtReports, (n) => partitionOf.get(n)!, plan.length);
    take(builtReports);
    let starting = false;
    let endAt = Infinity;
    for (;;) {
      const pending = [...state.next.values(), ...deliveries.flat().map((d) => d.at)].filter((t): t is number => t !== undefined);
      const earliest = Math.min(...pending, starting ? startAt! : Infinity);
      if (startAt === undefined && earliest === Infinity)
        throw new Error(`bootstrap: no partition has a timer left and ${plan.length - bootstraps.size} have not finished bootstrapping`);
      if (startAt !== undefined && !(earliest < endAt)) break;
      const horizon = Math.min(earliest + lookahead, endAt);
      const sent = performance.now();
      const answers = expect(
        await pool.exchange(
          hosted.map((ps) => ({
            type: 'window' as const,
            horizon,
            ...(starting ? { startAt: startAt! } : {}),
            deliveries: ps.map((p) => deliveries[p.index]!),
          })),
        ),
        'window',
      );
      const reports = answers.flatMap((m) => m.reports);
      perWindow.add(performance.now() - sent, answers);
      starting = false;
      deliveries = deliveriesByPartition(reports, (n) => partitionOf.get(n)!, plan.length);
      take(reports);
      if (startAt !== undefined) simulated = horizon - startAt;
      else if (bootstraps.size === plan.length) {
        startAt = horizon;
        endAt = startAt + scenario.duration;
        starting = true;
        phaseEnded();
        phase = 'run';
      }
    }
    simulated = scenario.duration;
    phaseEnded();
    phase = 'closing';
    const closed = expect(await pool.exchange(hosted.map(() => ({ type: 'close' as const }))), 'closed');
    take(closed.flatMap((m) => m.reports));
    phaseEnded();
    const ends = new Map<number, PartitionEnd>(closed.flatMap((m) => m.ends.map((e) => [e.partition, e] as const)));
    const { facts, bootstrap } = mergeHostFacts(
      plan.map((p) => ({ name: `partition ${p.index}`, bootstrap: bootstraps.get(p.index), facts: ends.get(p.index)?.facts })),
    );
    for (const end of ends.values()) options.onPartitionEnd?.(end);
    const parameters = ends.get(0)?.parameters;
    run.log(perWindow.line(plan.length));
    return { mode, ...(parameters ? { parameters } : {}), bootstrap, ...facts, violations: oracle.violations, failedSteps: [] };
  } finally {
    clearInterval(ticker);
    await pool.terminate();
  }
}

/** The answers, all of the type expected (a worker answers each message with one of its own). */
function expect<T extends WorkerMessage['type']>(answers: readonly WorkerMessage[], type: T): Extract<WorkerMessage, { type: T }>[] {
  for (const a of answers) if (a.type !== type) throw new Error(`a worker answered ${a.type} where ${type} was expected`);
  return answers as Extract<WorkerMessage, { type: T }>[];
}

function missingKeys(node: NodeId): never {
  throw new Error(`no partition holds the keys of ${node}`);
}
