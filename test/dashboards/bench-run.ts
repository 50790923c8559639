/**
 * THE one place the dashboard data test gets its data: a short bench run through the bench's
 * real entry point (runScenario in bench/runner/run.ts, what `gridbench run` calls), streaming
 * into a real InfluxDB with `--out influxdb=URL`. No samples are made up here: if a panel has no
 * data, the bench does not emit what the panel shows.
 *
 * The run is bench/scenarios/default.yaml (both modes, virtual boards, meter round, automation,
 * a power restoration storm, the replay and forgery campaigns) on a smaller topology.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runScenario, type RunResult } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';

export const SHORT_BENCH_SCENARIO = join(import.meta.dirname, '..', '..', 'bench', 'scenarios', 'default.yaml');
export const SHORT_BENCH_TNS_PER_DC = 10;

export async function shortBenchRun(influxUrl: string, db: string, resultsRoot: string): Promise<RunResult> {
  const raw = parse(readFileSync(SHORT_BENCH_SCENARIO, 'utf8')) as { topology: { tnsPerDc: number } };
  raw.topology.tnsPerDc = SHORT_BENCH_TNS_PER_DC;
  const scenario = parseScenario(stringify(raw), `${SHORT_BENCH_SCENARIO} (tnsPerDc ${SHORT_BENCH_TNS_PER_DC})`);
  return runScenario(scenario, { out: [`influxdb=${influxUrl}/${db}`], resultsRoot, runId: `dashboards-${Date.now()}` });
}
