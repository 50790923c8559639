/**
 * What a person sees who opens the dashboard as it comes (the last 15 minutes, newest run, all
 * modes and segments) at the moment a run ended, and what the run's printed link opens: the
 * checks both dashboard data tests (virtual and real clock) make, with queries run as Grafana
 * runs them (dashboards/query-check.ts).
 */
import { expect } from 'vitest';
import type { RunResult } from '../../bench/runner/run';
import { renderAll } from '../../dashboards/generate';
import { checkDashboardQueries, influxQueryRunner, type CheckReport } from '../../dashboards/query-check';
import { DASHBOARD_UID } from '../../dashboards/run-link';
import { EVENT_ANNOTATIONS } from '../../dashboards/annotations';
import type { InfluxServer } from '../setup/influxdb';
import { DEFAULT_RANGE_MS } from './bench-run';

export const dashboard = JSON.parse(renderAll()['json/gridbench.json']!);

export function describeReport(report: CheckReport): string {
  return [...report.results, ...report.annotations]
    .map((r) => `${r.rows.toString().padStart(6)} rows  ${r.panel} (${r.refId})${r.error ? `  ERROR ${r.error}` : ''}`)
    .join('\n');
}

/** The dashboard's default range evaluated when the run ended. */
export function defaultRangeAtEnd(run: RunResult): { from: number; to: number } {
  const end = run.summary.placement.toMs;
  return { from: end - DEFAULT_RANGE_MS, to: end };
}

/** The run's first and last point on the server. */
export async function pointSpan(server: InfluxServer, db: string, runId: string): Promise<{ first: number; last: number }> {
  const edge = async (order: 'ASC' | 'DESC') => {
    const response = await server.query(`SELECT * FROM /.*/ WHERE "run" = '${runId}' ORDER BY time ${order} LIMIT 1`, db);
    const times = (response.results[0]?.series ?? []).map((s) => s.values?.[0]?.[0] as number);
    if (times.length === 0) throw new Error(`no points of run ${runId} in InfluxDB`);
    return order === 'ASC' ? Math.min(...times) : Math.max(...times);
  };
  return { first: await edge('ASC'), last: await edge('DESC') };
}

/** Every panel and every annotation query returns data in the default range at the run's end. */
export async function expectDefaultRangeShowsRun(server: InfluxServer, db: string, run: RunResult): Promise<CheckReport> {
  const range = defaultRangeAtEnd(run);
  const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, db), { range });
  console.log(
    `dashboard queries over the default range at the end of ${run.runId} (${run.summary.clock} clock), ` +
      `${new Date(range.from).toISOString()} .. ${new Date(range.to).toISOString()}:\n${describeReport(report)}`,
  );
  expect(report.variables.run?.selected).toBe(run.runId);
  expect(report.variables.mode?.options).toEqual(expect.arrayContaining(['lean', 'smgw-tls']));
  const empty = [...report.results, ...report.annotations].filter((r) => r.error || r.rows === 0);
  expect(empty.map((r) => `${r.panel} (${r.refId}): ${r.error ?? 'no data'}\n  ${r.expanded}`)).toEqual([]);
  expect(report.annotations.map((a) => a.panel)).toEqual(EVENT_ANNOTATIONS.map((a) => `annotation: ${a.name}`));
  return report;
}

/** The printed link opens this run over its whole span: every point of it lies between its from and to. */
export async function expectLinkOpensRun(server: InfluxServer, db: string, run: RunResult): Promise<void> {
  const url = new URL(run.summary.dashboard);
  expect(url.pathname).toBe(`/d/${DASHBOARD_UID}/gridbench`);
  expect(url.searchParams.get('var-run')).toBe(run.runId);
  const from = Number(url.searchParams.get('from'));
  const to = Number(url.searchParams.get('to'));
  const { first, last } = await pointSpan(server, db, run.runId);
  expect(first).toBeGreaterThanOrEqual(from);
  expect(last).toBeLessThanOrEqual(to);
  // all of the run is in the past when it ends
  expect(to).toBe(Math.ceil(run.summary.placement.toMs));
  expect(last).toBeLessThanOrEqual(run.summary.placement.toMs);
}
