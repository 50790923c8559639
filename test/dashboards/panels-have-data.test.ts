/**
 * Issue 6, done when: a bench run streams into a real InfluxDB and every dashboard panel's query,
 * with Grafana's macros expanded, returns data. The run comes from ./bench-run.ts (the bench's
 * real entry point); nothing here writes samples itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../bench/runner/run';
import { renderAll } from '../../dashboards/generate';
import { checkDashboardQueries, influxQueryRunner, type CheckReport } from '../../dashboards/query-check';
import { countPoints, startInfluxd, type InfluxServer } from '../setup/influxdb';
import { shortBenchRun } from './bench-run';

const DB = 'gridbench';
const dashboard = JSON.parse(renderAll()['json/gridbench.json']!);

let server: InfluxServer;
let resultsRoot: string;
let run: RunResult;
let range: { from: number; to: number };

/** The run's first and last point on the server: the range a user zooms the dashboard to. */
async function runRange(runId: string): Promise<{ from: number; to: number }> {
  const edge = async (order: 'ASC' | 'DESC') => {
    const response = await server.query(`SELECT * FROM /.*/ WHERE "run" = '${runId}' ORDER BY time ${order} LIMIT 1`, DB);
    const times = (response.results[0]?.series ?? []).map((s) => s.values?.[0]?.[0] as number);
    if (times.length === 0) throw new Error(`no points of run ${runId} in InfluxDB`);
    return order === 'ASC' ? Math.min(...times) : Math.max(...times);
  };
  return { from: (await edge('ASC')) - 1000, to: (await edge('DESC')) + 1000 };
}

beforeAll(async () => {
  server = await startInfluxd();
  resultsRoot = mkdtempSync(join(tmpdir(), 'gridbench-dashboards-'));
  run = await shortBenchRun(server.url, DB, resultsRoot);
  range = await runRange(run.runId);
}, 900_000);

afterAll(async () => {
  await server?.dispose();
  if (resultsRoot) rmSync(resultsRoot, { recursive: true, force: true });
});

function describeReport(report: CheckReport): string {
  return report.results
    .map((r) => `${r.rows.toString().padStart(6)} rows  ${r.panel} (${r.refId})${r.error ? `  ERROR ${r.error}` : ''}`)
    .join('\n');
}

describe('after a short bench run streamed into InfluxDB', () => {
  it('InfluxDB holds every point the run wrote to metrics.lp', async () => {
    const lines = readFileSync(join(run.runDir, 'metrics.lp'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const perMeasurement = new Map<string, number>();
    for (const line of lines) {
      const m = line.slice(0, line.search(/[, ]/));
      perMeasurement.set(m, (perMeasurement.get(m) ?? 0) + 1);
    }
    for (const [measurement, expected] of perMeasurement) {
      const response = await server.query(`SELECT * FROM "${measurement}" WHERE "run" = '${run.runId}'`, DB);
      const rows = (response.results[0]?.series ?? []).reduce((n, s) => n + (s.values?.length ?? 0), 0);
      expect(rows, measurement).toBe(expected);
    }
    const report = run.summary.outputs.find((o) => o.output === 'InfluxDBOutput')?.report as {
      received: number;
      written: number;
      remaining: { points: number };
    };
    expect(report).toMatchObject({ received: lines.length, written: lines.length, remaining: { points: 0 } });
    expect(await countPoints(server, DB, 'automation_latency', 'latency_ms', `"run" = '${run.runId}'`)).toBeGreaterThan(0);
  });

  it('every panel query returns data with the dashboard defaults (newest run, all modes, all segments)', async () => {
    const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, DB), { range });
    console.log(
      `dashboard queries over ${new Date(range.from).toISOString()} .. ${new Date(range.to).toISOString()}:\n${describeReport(report)}`,
    );
    expect(report.variables.run?.selected).toBe(run.runId);
    expect(report.variables.mode?.options).toEqual(expect.arrayContaining(['lean', 'smgw-tls']));
    expect(report.variables.segment?.options).toEqual(expect.arrayContaining(['dc1', 'dc2']));
    const empty = report.results.filter((r) => r.error || r.rows === 0);
    expect(empty.map((r) => `${r.panel} (${r.refId}): ${r.error ?? 'no data'}\n  ${r.expanded}`)).toEqual([]);
  });

  it.each([
    ['lean', 'dc1'],
    ['smgw-tls', 'dc2'],
  ])('the automation panels follow the mode and segment variables (%s, %s)', async (mode, segment) => {
    const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, DB), {
      range,
      selections: { mode: [mode], segment: [segment] },
    });
    const latency = report.results.find((r) => /p50 \/ p99/.test(r.panel))!;
    expect(latency.error).toBeUndefined();
    expect(latency.expanded).toContain(`"mode" =~ /^${mode}$/ AND "segment" =~ /^${segment}$/`);
    expect(latency.rows, latency.expanded).toBeGreaterThan(0);
  });
});
