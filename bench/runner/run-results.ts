/**
 * The frame of every run, in process or across processes: the results directory, the metrics
 * outputs, the thresholds (scenario and campaigns), and at the end summary.json and report.html.
 * Every sample goes to the outputs and is folded, as it arrives, into the thresholds' sinks, its
 * mode's summary and the report's storm plots; the run keeps no list of samples.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../../core/topology';
import type { ModeName } from '../../nodes/modes';
import type { MetricsOutput, Sample } from '../../core/metrics';
import { loadCampaign, mergeThresholds, type LoadedCampaign } from '../campaign/load';
import { MetricsOutputs } from '../metrics/metrics-outputs';
import { createOutputs, parseOutSpec } from '../metrics/out-spec';
import { runDashboardUrl } from '../../dashboards/run-link';
import { HeldSamples } from '../metrics/held-samples';
import { Timebase } from '../metrics/timebase';
import { retag } from '../metrics/tagging';
import { outputFold } from '../metrics/accepted-fold';
import type { Scenario } from '../scenario/schema';
import { parseThresholds, ThresholdSinks } from '../thresholds';
import { DeliveryTally } from './delivery';
import { ReportCollector, writeReport } from './report-html';
import { grafanaBaseUrl, runPlacement } from './run-placement';
import { eventOf } from './run-events';
import { ModeSummarizer, type ModeFacts, type ModeSummary, type ProcessOutcome, type RunSummary } from './summary';

export type { ProcessOutcome, RunSummary } from './summary';

export interface RunResult {
  readonly runId: string;
  readonly runDir: string;
  readonly summary: RunSummary;
  readonly exitCode: 0 | 1 | 99;
}

export interface RunFrameOptions {
  /** Parent of results/<run-id>/ (default: ./results). */
  readonly resultsRoot?: string;
  /** --out specs (k6 form). */
  readonly out?: readonly string[];
  readonly runId?: string;
  readonly log?: (line: string) => void;
  /** Outputs added to the ones --out asks for (tests). */
  readonly extraOutputs?: readonly MetricsOutput[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Grafana's address for the run's dashboard link (default: GRIDBENCH_GRAFANA_URL, then http://localhost:3000). */
  readonly grafana?: string;
}

export function makeRunId(scenario: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${scenario}-${stamp}`;
}

/** One mode of a run, started once the previous one has ended. */
export interface ModeRecorder {
  /** Every sample of the mode goes through here: to the outputs, the thresholds and the mode's summary. */
  readonly record: (sample: Sample) => void;
  /** Summarizes the mode from its samples and what its workload issued. */
  end(facts: ModeFacts): void;
}

export interface StartedRun {
  readonly runId: string;
  readonly runDir: string;
  readonly topology: Topology;
  readonly campaigns: readonly LoadedCampaign[];
  readonly log: (line: string) => void;
  startMode(name: ModeName): ModeRecorder;
  stopOutputs(): Promise<void>;
  /** Evaluates the thresholds, writes summary.json and report.html. */
  finish(extra?: { processes?: readonly ProcessOutcome[]; failures?: readonly string[] }): RunResult;
}

export async function startRun(scenario: Scenario, options: RunFrameOptions): Promise<StartedRun> {
  // a bad --out must fail before anything is created
  for (const spec of options.out ?? []) parseOutSpec(spec, options.env ?? process.env);
  const grafana = grafanaBaseUrl(options.grafana, options.env ?? process.env);
  const startedWall = Date.now();
  const runId = options.runId ?? makeRunId(scenario.name, new Date(startedWall));
  const runDir = join(options.resultsRoot ?? 'results', runId);
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const campaigns = await Promise.all(scenario.campaigns.map((ref) => loadCampaign(ref, scenario.file, topology)));
  const thresholds = new ThresholdSinks(parseThresholds(mergeThresholds(scenario.thresholds, campaigns)));
  mkdirSync(runDir, { recursive: true });
  const log = options.log ?? (() => {});
  // a virtual-clock run is placed when it ends, so that all of it is in the past then; its
  // samples wait for that (timebase.ts, held-samples.ts)
  const timebase = scenario.clock === 'virtual' ? Timebase.atRunEnd() : new Timebase('real', startedWall);
  const held = scenario.clock === 'virtual' ? new HeldSamples(runDir) : undefined;
  let endedWall: number | undefined;
  /** When the run ended; a virtual-clock run's timeline is placed to end then (its last sample 1 ms
   * before: points of one series at one instant are spread by microseconds). */
  const place = (): number => {
    endedWall ??= Date.now();
    if (held && !timebase.placed) timebase.placeEnd(held.count > 0 ? held.last + 1 : 0, endedWall);
    return endedWall;
  };
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
  const tagged = retag(scenario.metrics.tagging);
  const toOutputs = (sample: Sample): void => {
    if (held) held.add(sample);
    else outputs.addSamples([sample]);
  };
  // one fold per mode, whose clock starts again at 0; handed on at the mode's end (or the run's)
  let folded = outputFold(scenario.metrics.tagging);
  const modes: Record<string, ModeSummary> = {};
  const latencies: Record<string, readonly number[]> = {};
  const report = new ReportCollector();
  return {
    runId,
    runDir,
    topology,
    campaigns,
    log,
    startMode(name) {
      const summarizer = new ModeSummarizer();
      folded.flush(toOutputs);
      const outputFolded = (folded = outputFold(scenario.metrics.tagging));
      const fold = (sample: Sample) => {
        outputFolded.add(tagged(sample), toOutputs);
        thresholds.add(sample);
        summarizer.add(sample);
        report.add(name, sample);
      };
      const delivery = new DeliveryTally(fold);
      return {
        record: (sample) => {
          fold(sample);
          const event = eventOf(sample);
          if (event) fold(event);
          delivery.observe(sample);
        },
        end: (facts) => {
          delivery.finish();
          outputFolded.flush(toOutputs);
          modes[name] = summarizer.summary(facts);
          latencies[name] = summarizer.latencies();
        },
      };
    },
    async stopOutputs() {
      folded.flush(toOutputs);
      place();
      if (held) {
        if (held.error) log(`metrics: ${held.error}`);
        await held.release((samples) => outputs.addSamples(samples));
      }
      await outputs.stop().catch((err: unknown) => log(`metrics outputs: ${(err as Error).message}`));
    },
    finish(extra = {}) {
      const end = place();
      const results = thresholds.results();
      const summary: RunSummary = {
        run: runId,
        scenario: scenario.name,
        seed: scenario.seed,
        clock: scenario.clock,
        startedAt: new Date(startedWall).toISOString(),
        wallSeconds: Number(((Date.now() - startedWall) / 1000).toFixed(1)),
        durationMs: scenario.duration,
        topology: { dcs: scenario.topology.dcs, tnsPerDc: scenario.topology.tnsPerDc, boards: scenario.boards.length },
        crypto: scenario.crypto,
        modes,
        thresholds: results,
        ok:
          results.every((r) => r.ok) &&
          Object.values(modes).every((m) => m.failedSteps.length === 0) &&
          (extra.failures ?? []).length === 0,
        outputs: outputs.reports(),
        placement: runPlacement(timebase, end),
        dashboard: runDashboardUrl(grafana, { run: runId, fromMs: timebase.startEpochMs, toMs: end }),
        ...(extra.processes ? { processes: extra.processes } : {}),
        ...(extra.failures?.length ? { failures: extra.failures } : {}),
      };
      writeFileSync(join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
      writeReport(join(runDir, 'report.html'), report.data(summary, latencies));
      // a run that lost its broker, its HES or every TN is an error (1), not a failed threshold (99)
      return { runId, runDir, summary, exitCode: summary.failures ? 1 : summary.ok ? 0 : 99 };
    },
  };
}
