/**
 * perf:scale: utility-scale runs on the virtual clock (issue 13). Each scenario and mode runs in a
 * child process of its own (so that its peak memory is its own); human-readable lines first, then
 * one JSON object as the last line:
 *   {"scenarios":[{"name","mode","wallS","simulatedS","peakRssBytes","eventsPerS","deliveriesPerS",
 *     "phases":{...},"bytesPerTn",...}],"machine":{...}}
 * cpuS: CPU seconds of the run (steadier than wallS when other work shares the machine).
 * phases (wall seconds): setup (topology, nodes, outputs), bootstrap (every TN enrolled or
 * connected), run (the simulated duration), closing (the mode closed), summary (summary.json,
 * report.html, the held samples written). bytesPerTn: heap after bootstrap, less the heap
 * before the run, per TN. liveHeapAfterRunBytes: the heap after the simulated duration, after a
 * full collection: what the run holds, where peakRssBytes also counts garbage V8 had not yet
 * collected (peakRssByPhase: the peak as it stood at each phase's end) (the child's heap limit is most of the machine's memory). The machine's load average is reported with every run: the machine is
 * shared, and a busy core makes a run slower.
 * memory: process.memoryUsage() at each phase's end before and after a full collection, and each
 * figure's peak: rss less heapTotal and external is the native memory V8 does not see (OpenSSL's
 * state, malloc's free lists).
 * enrolment (simulated, not wall, time): enrolledS, the bootstrap's simulated length until the last
 * TN enrolled; registrationsPerTn, the registrations a TN sent until enrolled (lean; from the
 * `bootstrap` samples: the initial enrolment and the re-enrolments the run asks for).
 *
 * usage: npm run perf:scale -- [--city] [--national] [--only NAME] [--mode MODE] [--duration 2h]
 *   (alone: utility-48h, both modes, whose targets add up to 15 minutes)
 *   --city         also the city-100k scenario (its two targets add up to 30 minutes)
 *   --national     also the national-1m scenario (a million TNs; its target is 30 minutes)
 *   --only NAME    only this scenario (utility-48h, city-100k, national-1m), whatever the flags
 *   --mode MODE    only this mode of each scenario
 *   --duration D   a scaled-down run: D of simulated time instead of the scenario's own (the
 *                  result says so: simulatedS, and scenarioDurationS for the full run)
 *   --dcs N        a scaled-down run: N of the scenario's DCs (segments are alike: the result's
 *                  tns says how many ran, scenarioTns how many the full run has)
 *   --crypto NAME  every role on this backend (ideal: nodes/crypto/ideal.ts) instead of the scenario's
 *   --cpu-prof DIR write a V8 CPU profile of each run to DIR (node --cpu-prof)
 *   --workers N    the partitioned engine (gridbench run --workers) on N worker threads; the
 *                  result's workers and partitions say which ran (null: the in-process engine)
 *   --partitions P with --workers: P partitions of segments (default: the DCs, at most 8)
 * Node's own flags go to every child, and the JSON's machine.nodeFlags lists them. Each child holds
 * V8's heap growth as gridbench run does (bench/cli/heap-growth.ts: 50 % unless
 * GRIDBENCH_HEAP_GROWING_PERCENT says otherwise, 0 for V8's own); heapGrowingPercent says which ran.
 * Each child starts with V8's semi-spaces of up to 128 MiB as npm run gridbench does
 * (bench/cli/young-generation.ts) unless node was given its own --max-semi-space-size; semiSpaceMb
 * says which ran.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runScenario, type Progress, type RunOptions } from '../runner/run';
import { runPartitioned } from '../runner/partitioned/coordinator';
import { planPartitions } from '../runner/partitioned/plan';
import { Topology } from '../../core/topology';
import { loadScenario } from '../scenario/load';
import { durationSchema } from '../scenario/units';
import { report, round } from './measure';
import { BACKEND_NAMES, type BackendName } from '../../nodes/crypto/backend';
import type { MetricsOutput, Sample } from '../../core/metrics';
import { applyHeapGrowth, describeHeapGrowth } from '../cli/heap-growth';
import { machineHeapMb } from '../cli/heap-limit';
import { allocatorEnv, runningAllocator, type Allocator } from '../cli/allocator';
import { describeSemiSpace, semiSpaceFlags, semiSpaceMb } from '../cli/young-generation';

/**
 * What perf:scale runs alone: utility-48h, both modes. Issue 13 asks that `npm run perf:scale`
 * alone stay under 15 minutes; city-100k's own targets (10 and 20 minutes) do not fit in that.
 */
const DEFAULT_SCENARIOS = ['utility-48h'];
const CITY = 'city-100k';
const NATIONAL = 'national-1m';
const ALL_SCENARIOS = [...DEFAULT_SCENARIOS, CITY, NATIONAL];
const log = (msg: string): void => void process.stderr.write(`perf:scale: ${msg}\n`);
const load = () => loadavg().map((v) => round(v, 2));

/**
 * The node flags every child inherits from this process (process.execArgv), less tsx's loaders:
 * a V8 setting such as --heap-growing-percent moves peak RSS by a third (README), so a result
 * says which ran.
 */
function nodeFlags(): string[] {
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--import' || arg === '--require') i++;
    else if (!/^--(import|require)=/.test(arg)) flags.push(arg);
  }
  return flags;
}

interface ScaleResult {
  readonly name: string;
  readonly mode: string;
  readonly crypto: string;
  /** How far V8 let the heap grow past what is live, in percent; 0: V8's own growth (heap-growth.ts). */
  readonly heapGrowingPercent: number;
  /** The semi-spaces V8's young generation may grow to, in MiB; null: V8's own (young-generation.ts). */
  readonly semiSpaceMb: number | null;
  /** The C allocator the run's process ran on (allocator.ts): OpenSSL's memory and speed depend on it. */
  readonly allocator: Allocator;
  readonly tns: number;
  readonly scenarioTns: number;
  readonly wallS: number;
  /** CPU seconds the run took (user and system, all threads): on a shared machine steadier than wallS. */
  readonly cpuS: number;
  readonly simulatedS: number;
  readonly scenarioDurationS: number;
  readonly peakRssBytes: number;
  readonly events: number;
  readonly eventsPerS: number;
  readonly deliveries: number;
  readonly deliveriesPerS: number;
  readonly phases: Record<'setupS' | 'bootstrapS' | 'runS' | 'closingS' | 'summaryS', number>;
  readonly bytesPerTn: number;
  readonly liveHeapAfterRunBytes: number;
  /** peakRssBytes as it stood at the end of each phase: which phase set the peak. */
  readonly peakRssByPhase: Partial<Record<Progress['phase'] | 'summary', number>>;
  readonly enrolled: number;
  readonly enrolment: { readonly enrolledS: number; readonly registrationsPerTn: number | null };
  readonly loadAverage: { readonly before: number[]; readonly after: number[] };
  /** The partitioned engine's worker threads and partitions of segments; null for the in-process engine. */
  readonly workers: number | null;
  readonly partitions: number | null;
  /** Where the memory sits (process.memoryUsage()): see MemoryBreakdown. */
  readonly memory: MemoryBreakdown;
}

type MemoryFigures = Pick<NodeJS.MemoryUsage, 'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers'>;

/**
 * RSS against what V8 accounts for: rss less heapTotal and external is native memory V8 does not
 * see (OpenSSL's SSL_CTX and SSL objects, malloc's free lists and fragmentation). peak: each
 * figure's highest, sampled once a second of wall time. byPhase: at each phase's end, before the
 * full collection (`held`) and after it (`live`).
 */
interface MemoryBreakdown {
  readonly peak: MemoryFigures;
  readonly byPhase: Partial<Record<Progress['phase'], { readonly held: MemoryFigures; readonly live: MemoryFigures }>>;
}

const MEMORY_FIELDS = ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const;

function memoryFigures(): MemoryFigures {
  const m = process.memoryUsage();
  return Object.fromEntries(MEMORY_FIELDS.map((k) => [k, m[k]])) as unknown as MemoryFigures;
}

/** --workers and --partitions: the partitioned engine, or (workers undefined) the in-process one. */
interface Engine {
  readonly workers?: number | undefined;
  readonly partitions?: number | undefined;
}

/** One scenario and mode in this process: the child's side. */
async function measure(
  file: string,
  mode: string,
  duration: number | undefined,
  dcs: number | undefined,
  crypto: BackendName | undefined,
  engine: Engine = {},
): Promise<ScaleResult> {
  const heapGrowingPercent = applyHeapGrowth();
  const loaded = loadScenario(file);
  if (!loaded.modes.includes(mode as never)) throw new Error(`${file}: no mode ${mode}`);
  const topology = { ...loaded.topology, dcs: Math.min(dcs ?? loaded.topology.dcs, loaded.topology.dcs) };
  const scenario = {
    ...loaded,
    modes: [mode as (typeof loaded.modes)[number]],
    duration: duration ?? loaded.duration,
    topology,
    crypto: crypto ? { hes: crypto, dc: crypto, tn: crypto, randomness: loaded.crypto.randomness } : loaded.crypto,
    // the grid events of the segments that are left
    events: loaded.events.filter((e) => Number(e.powerRestored.replace(/^dc/, '')) <= topology.dcs),
  };
  const tns = scenario.topology.dcs * scenario.topology.tnsPerDc;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const before = load();
  const results = mkdtempSync(join(tmpdir(), 'gridbench-perf-scale-'));
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const ends: Partial<Record<Progress['phase'], number>> = {};
  let runStart: number | undefined;
  let heapAfterBootstrap = 0;
  let heapAfterRun = 0;
  const peakRssByPhase: Partial<Record<Progress['phase'], number>> = {};
  let events = 0;
  let lastLog = 0;
  const registrations = new RegistrationTally();
  const peakMemory: Record<keyof MemoryFigures, number> = memoryFigures();
  const notePeak = (m: MemoryFigures) => {
    for (const k of MEMORY_FIELDS) peakMemory[k] = Math.max(peakMemory[k], m[k]);
  };
  const memoryByPhase: MemoryBreakdown['byPhase'] = {};
  try {
    const partitions =
      engine.workers === undefined ? null : planPartitions(Topology.build(topology.dcs, topology.tnsPerDc), engine.partitions).length - 1;
    const runOptions: RunOptions = {
      resultsRoot: results,
      runId: 'perf-scale',
      extraOutputs: [registrations],
      onProgress: (p) => {
        runStart ??= performance.now() - p.wallMs;
        events = p.events;
        notePeak(memoryFigures());
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          log(
            `${scenario.name} ${mode}: ${p.phase}, ${round(p.wallMs / 1000)} s wall, ${round(p.simulatedMs / 1000)} s simulated, load ${load().join(' ')}`,
          );
        }
      },
      onPhaseEnd: (p) => {
        ends[p.phase] = performance.now();
        peakRssByPhase[p.phase] = process.resourceUsage().maxRSS * 1024;
        events = p.events;
        const held = memoryFigures();
        notePeak(held);
        if (p.phase === 'closing') return;
        // after a full collection: the nodes' state after bootstrap, all the run holds after it
        gc?.();
        const live = memoryFigures();
        memoryByPhase[p.phase] = { held, live };
        if (p.phase === 'bootstrap') heapAfterBootstrap = live.heapUsed;
        else heapAfterRun = live.heapUsed;
      },
    };
    const result =
      engine.workers === undefined
        ? await runScenario(scenario, runOptions)
        : await runPartitioned(scenario, {
            ...runOptions,
            workers: engine.workers,
            ...(engine.partitions !== undefined ? { partitions: engine.partitions } : {}),
            // its windows and their per-window work and overhead (coordinator.ts)
            log,
          });
    const end = performance.now();
    const cpu = process.cpuUsage(cpuStart);
    const m = result.summary.modes[mode]!;
    const deliveries = m.channel.framesOffered - m.channel.dropsLoss - m.channel.dropsQueue - m.channel.dropsAttack;
    const wallS = (end - start) / 1000;
    const at = (t: number | undefined, fallback: number) => t ?? fallback;
    const t0 = at(runStart, start);
    const tBoot = at(ends.bootstrap, t0);
    const tRun = at(ends.run, tBoot);
    const tClose = at(ends.closing, tRun);
    return {
      name: scenario.name,
      mode,
      crypto: `${scenario.crypto.tn}/${scenario.crypto.randomness}`,
      heapGrowingPercent,
      semiSpaceMb: semiSpaceMb() ?? null,
      allocator: runningAllocator(),
      tns,
      scenarioTns: loaded.topology.dcs * loaded.topology.tnsPerDc,
      wallS: round(wallS, 1),
      cpuS: round((cpu.user + cpu.system) / 1e6, 1),
      simulatedS: round(scenario.duration / 1000),
      scenarioDurationS: round(loaded.duration / 1000),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      events,
      eventsPerS: round(events / wallS),
      deliveries,
      deliveriesPerS: round(deliveries / wallS),
      phases: {
        setupS: round((t0 - start) / 1000, 1),
        bootstrapS: round((tBoot - t0) / 1000, 1),
        runS: round((tRun - tBoot) / 1000, 1),
        closingS: round((tClose - tRun) / 1000, 1),
        summaryS: round((end - tClose) / 1000, 1),
      },
      bytesPerTn: round(Math.max(0, heapAfterBootstrap - heapBefore) / tns),
      liveHeapAfterRunBytes: heapAfterRun,
      peakRssByPhase: { ...peakRssByPhase, summary: process.resourceUsage().maxRSS * 1024 },
      enrolled: m.bootstrap.enrolled,
      enrolment: { enrolledS: round(m.bootstrap.durationMs / 1000, 1), registrationsPerTn: registrations.perTn() },
      loadAverage: { before, after: load() },
      workers: engine.workers ?? null,
      partitions,
      memory: { peak: peakMemory, byPhase: memoryByPhase },
    };
  } finally {
    rmSync(results, { recursive: true, force: true });
  }
}

/** The registrations TNs sent until enrolled, from their `bootstrap` samples (lean's carry them). */
class RegistrationTally implements MetricsOutput {
  private enrolments = 0;
  private sent = 0;
  start(): Promise<void> {
    return Promise.resolve();
  }
  addSamples(samples: readonly Sample[]): void {
    for (const s of samples) {
      if (s.measurement !== 'bootstrap' || s.tags.role !== 'tn' || typeof s.fields.registrations !== 'number') continue;
      this.enrolments++;
      this.sent += s.fields.registrations;
    }
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  perTn(): number | null {
    return this.enrolments ? round(this.sent / this.enrolments, 2) : null;
  }
}

function cryptoName(name: string | undefined): BackendName | undefined {
  if (name === undefined) return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) throw new Error(`--crypto ${name}: one of ${BACKEND_NAMES.join(', ')}`);
  return name as BackendName;
}

const optionalNumber = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

function scenarioFile(name: string): string {
  return fileURLToPath(new URL(`../scenarios/${name}.yaml`, import.meta.url));
}

/** The parent: one child per scenario and mode, its JSON line collected. */
function main(): void {
  const { values } = parseArgs({
    options: {
      city: { type: 'boolean', default: false },
      national: { type: 'boolean', default: false },
      only: { type: 'string' },
      mode: { type: 'string' },
      duration: { type: 'string' },
      dcs: { type: 'string' },
      crypto: { type: 'string' },
      'cpu-prof': { type: 'string' },
      workers: { type: 'string' },
      partitions: { type: 'string' },
      child: { type: 'string' },
    },
  });
  const duration = values.duration === undefined ? undefined : durationSchema.parse(values.duration);
  if (values.child !== undefined) {
    const [file, mode] = values.child.split('#') as [string, string];
    const engine = { workers: optionalNumber(values.workers), partitions: optionalNumber(values.partitions) };
    measure(file, mode, duration, values.dcs === undefined ? undefined : Number(values.dcs), cryptoName(values.crypto), engine).then(
      (r) => report(r),
      (err: unknown) => {
        log(`${(err as Error).stack ?? String(err)}`);
        process.exitCode = 1;
      },
    );
    return;
  }
  if (values.only !== undefined && !ALL_SCENARIOS.includes(values.only))
    throw new Error(`--only ${values.only}: one of ${ALL_SCENARIOS.join(', ')}`);
  const names =
    values.only !== undefined
      ? [values.only]
      : [...DEFAULT_SCENARIOS, ...(values.city ? [CITY] : []), ...(values.national ? [NATIONAL] : [])];
  // the heap may take most of the machine's memory: a million TNs do not fit node's default limit
  const heapMb = machineHeapMb();
  const scenarios: ScaleResult[] = [];
  const lines: string[] = [];
  for (const name of names) {
    const file = scenarioFile(name);
    for (const mode of loadScenario(file).modes.filter((m) => values.mode === undefined || m === values.mode)) {
      const scaled = [values.duration && `${values.duration} simulated`, values.dcs && `${values.dcs} DCs`].filter(Boolean).join(', ');
      log(`${name} ${mode}${scaled ? ` (scaled down: ${scaled})` : ''}: starting, load ${load().join(' ')}`);
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          '--expose-gc',
          ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
          `--max-old-space-size=${heapMb}`,
          ...semiSpaceFlags(),
          fileURLToPath(import.meta.url),
          '--child',
          `${file}#${mode}`,
          ...(values.duration ? ['--duration', values.duration] : []),
          ...(values.dcs ? ['--dcs', values.dcs] : []),
          ...(values.crypto ? ['--crypto', values.crypto] : []),
          ...(values.workers ? ['--workers', values.workers] : []),
          ...(values.partitions ? ['--partitions', values.partitions] : []),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024, env: allocatorEnv() },
      );
      const last = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !last.startsWith('{')) {
        log(`${name} ${mode}: failed (exit ${child.status ?? child.signal})`);
        process.exitCode = 1;
        continue;
      }
      const r = JSON.parse(last) as ScaleResult;
      scenarios.push(r);
      lines.push(
        `${name} ${mode} (${r.crypto}, ${describeHeapGrowth(r.heapGrowingPercent)}, ${describeSemiSpace(r.semiSpaceMb ?? undefined)}, ${r.allocator}${r.workers === null ? '' : `, ${r.workers} workers, ${r.partitions} partitions`}): ${r.wallS} s wall (${r.cpuS} s CPU) for ${r.simulatedS} s simulated, peak ${round(r.peakRssBytes / 2 ** 20)} MiB (live after the run ${round(r.liveHeapAfterRunBytes / 2 ** 20)} MiB), ` +
          `${r.eventsPerS} events/s, ${r.deliveriesPerS} deliveries/s, ${r.bytesPerTn} B/TN, ` +
          `enrolled in ${r.enrolment.enrolledS} s simulated with ${r.enrolment.registrationsPerTn ?? '-'} registrations per TN, load ${r.loadAverage.before.join(' ')} -> ${r.loadAverage.after.join(' ')}`,
      );
    }
  }
  report({ scenarios, machine: { cores: cpus().length, totalMemBytes: totalmem(), node: process.version, nodeFlags: nodeFlags() } }, lines);
}

try {
  main();
} catch (err) {
  // a bad flag or scenario name: the message names it; a stack would bury it
  log((err as Error).message);
  process.exitCode = 2;
}
