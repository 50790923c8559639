/**
 * Issue 14, done when: after a virtual-clock bench run streamed into a real InfluxDB, the dashboard
 * as it opens (the last 15 minutes, evaluated when the run ended) shows every panel and every
 * annotation with data, and the run's printed link spans every point of it. The run comes from
 * ./bench-run.ts (the bench's real entry point); nothing here writes samples itself.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../bench/runner/run';
import { checkDashboardQueries, influxQueryRunner } from '../../dashboards/query-check';
import { countPoints, startInfluxd, type InfluxServer } from '../setup/influxdb';
import { shortBenchRun } from './bench-run';
import { dashboard, defaultRangeAtEnd, expectDefaultRangeShowsRun, expectLinkOpensRun, pointSpan } from './default-range';

const DB = 'gridbench';

let server: InfluxServer;
let resultsRoot: string;
let run: RunResult;

beforeAll(async () => {
  server = await startInfluxd();
  resultsRoot = mkdtempSync(join(tmpdir(), 'gridbench-dashboards-'));
  run = await shortBenchRun(server.url, DB, resultsRoot);
}, 900_000);

afterAll(async () => {
  await server?.dispose();
  if (resultsRoot) rmSync(resultsRoot, { recursive: true, force: true });
});

describe('after a short virtual-clock bench run streamed into InfluxDB', () => {
  it('InfluxDB holds every point the run wrote to metrics.lp, at the same times', async () => {
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
    // one placement for both outputs: the file's last timestamp is the server's last point
    const lastUs = Math.max(...lines.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1))));
    const response = await server.query(`SELECT * FROM /.*/ WHERE "run" = '${run.runId}' ORDER BY time DESC LIMIT 1`, DB);
    const serverLastMs = Math.max(...(response.results[0]?.series ?? []).map((s) => s.values?.[0]?.[0] as number));
    expect(Math.floor(lastUs / 1000)).toBe(serverLastMs);
  });

  it('says where the run was placed: its timeline ends when the run ended', async () => {
    const { placement } = run.summary;
    expect(placement).toMatchObject({ clock: 'virtual', placement: 'run-end' });
    // the last sample 1 ms before the end (points of one series at one instant are microseconds apart)
    expect((await pointSpan(server, DB, run.runId)).last).toBe(placement.toMs - 1);
    expect(placement.toMs).toBeLessThanOrEqual(Date.now());
    expect(placement.toMs - placement.fromMs).toBeLessThan(15 * 60_000);
    const header = readFileSync(join(run.runDir, 'metrics.lp'), 'utf8').split('\n')[1];
    expect(header).toBe(`# ${placement.description}`);
    expect(header).toContain(`placement=run-end`);
    expect(header).toContain(`the run's last sample is at ${placement.to}, when the run ended`);
  });

  it('every panel and annotation query returns data in the default range (now-15m to now) at the moment the run ended', async () => {
    await expectDefaultRangeShowsRun(server, DB, run);
  });

  it('the printed link opens exactly this run: its run id, from its first point to its last', async () => {
    await expectLinkOpensRun(server, DB, run);
  });

  it('the annotations show the events of the run: campaign steps, the power restoration, storms, the board reset', async () => {
    const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, DB), { range: defaultRangeAtEnd(run) });
    const rows = Object.fromEntries(report.annotations.map((a) => [a.panel, a.rows]));
    // default.yaml's replay and forgery campaigns have 17 and 10 steps: all of them in lean, all but
    // the 6 forgeries that sign with lean-protocol keys in smgw-tls
    expect(rows['annotation: Campaign steps']).toBe(17 + 10 + (17 + 10 - 6));
    expect(rows['annotation: Power restorations']).toBe(2); // dc1 at 12m, in each mode
    // smgw-tls: each segment's bootstrap, and dc1's reconnection after the power restoration
    expect(rows['annotation: Renegotiation storms']).toBe(run.summary.modes['smgw-tls']!.storms.length);
    expect(rows['annotation: Board resets']).toBe(2); // tn1.001 at 10 min, in each mode
  });

  it.each([
    ['lean', 'dc1'],
    ['smgw-tls', 'dc2'],
  ])('the automation panels follow the mode and segment variables (%s, %s)', async (mode, segment) => {
    const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, DB), {
      range: defaultRangeAtEnd(run),
      selections: { mode: [mode], segment: [segment] },
    });
    const latency = report.results.find((r) => /p50 \/ p99/.test(r.panel))!;
    expect(latency.error).toBeUndefined();
    expect(latency.expanded).toContain(`"mode" =~ /^${mode}$/ AND "segment" =~ /^${segment}$/`);
    expect(latency.rows, latency.expanded).toBeGreaterThan(0);
  });

  it('the delivery panel shows accepted / addressed per mode, as summary.json has it', async () => {
    const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, DB), { range: defaultRangeAtEnd(run) });
    const delivered = report.results.find((r) => /^Automation delivery ratio/.test(r.panel))!;
    const response = await server.query(delivered.expanded, DB);
    const byMode = Object.fromEntries((response.results[0]?.series ?? []).map((s) => [s.tags?.mode, s.values?.[0]?.[1]]));
    for (const mode of ['lean', 'smgw-tls']) expect(byMode[mode]).toBeCloseTo(run.summary.modes[mode]!.automation.deliveryRatio!, 4);
  });
});
