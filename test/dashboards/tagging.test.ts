/**
 * metrics.tagging: per-segment makes the TN id a field instead of a tag, so a run's series grow
 * with its segments, not its TNs; the dashboard's panels show the same data either way. The same
 * small run (both modes, a board, meter rounds, automation, a power restoration) streams into a
 * real InfluxDB once per tagging, and every query of the dashboard runs against each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type RunResult } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';
import { checkDashboardQueries, influxQueryRunner, type CheckReport } from '../../dashboards/query-check';
import { startInfluxd, type InfluxServer } from '../setup/influxdb';
import { dashboard } from './default-range';

const DB = 'tagging';
const TAGGINGS = ['per-tn', 'per-segment'] as const;

const scenario = (tagging: string) => `
name: tagging-${tagging}
seed: 4
modes: [lean, smgw-tls]
duration: 10m
topology: { dcs: 2, tnsPerDc: 4 }
boards: [{ tn: tn1.001, kind: virtual }]
channel:
  wan: { preset: dsl }
  plc: { preset: g3-plc-cenelec-a }
workload:
  meterRounds: { at: 1m, timeout: 2m }
  automation: [{ every: 2m, dc: all, relay: [on, off] }]
events: [{ at: 5m, powerRestored: dc2 }]
metrics: { tagging: ${tagging} }
`;

let server: InfluxServer;
let resultsRoot: string;
const runs = new Map<string, RunResult>();
const reports = new Map<string, CheckReport>();

beforeAll(async () => {
  server = await startInfluxd();
  resultsRoot = mkdtempSync(join(tmpdir(), 'gridbench-tagging-'));
  for (const tagging of TAGGINGS) {
    const run = await runScenario(parseScenario(scenario(tagging), join(resultsRoot, `${tagging}.yaml`)), {
      out: [`influxdb=${server.url}/${DB}`],
      resultsRoot,
      runId: `tagging-${tagging}`,
    });
    runs.set(tagging, run);
    const { fromMs, toMs } = run.summary.placement;
    reports.set(
      tagging,
      await checkDashboardQueries(dashboard, influxQueryRunner(server.url, DB), {
        range: { from: fromMs, to: toMs },
        selections: { run: run.runId },
      }),
    );
  }
}, 300_000);

afterAll(async () => {
  await server?.dispose();
  if (resultsRoot) rmSync(resultsRoot, { recursive: true, force: true });
});

const tnTagValues = async (tagging: string, measurement: string) =>
  (
    await server.query(`SHOW TAG VALUES FROM "${measurement}" WITH KEY = "tn" WHERE "run" = 'tagging-${tagging}'`, DB)
  ).results[0]?.series?.[0]?.values?.map((v) => v[1]) ?? [];

describe('metrics tagging', () => {
  it('per-tn makes each TN a series, per-segment keeps the TN id as a field (samples of a board keep it)', async () => {
    expect(await tnTagValues('per-tn', 'automation_latency')).toHaveLength(8);
    expect(await tnTagValues('per-segment', 'automation_latency')).toEqual([]);
    for (const tagging of TAGGINGS) expect(await tnTagValues(tagging, 'board')).toEqual(['tn1.001']);
    const tns = await server.query(`SELECT "tn" FROM "automation_latency" WHERE "run" = 'tagging-per-segment' AND "segment" = 'dc2'`, DB);
    expect(new Set(tns.results[0]?.series?.[0]?.values?.map((v) => v[1]))).toEqual(new Set(['tn2.001', 'tn2.002', 'tn2.003', 'tn2.004']));
  });

  // which rows: smgw-tls draws its own TLS randomness, so its handshakes may fall into other time buckets
  it('every panel and annotation of the dashboard that shows data with one tagging shows it with the other', () => {
    const rows = (tagging: string) => {
      const report = reports.get(tagging)!;
      for (const r of [...report.results, ...report.annotations]) expect(r.error, `${tagging}: ${r.panel}`).toBeUndefined();
      return Object.fromEntries([...report.results, ...report.annotations].map((r) => [`${r.panel} (${r.refId})`, r.rows > 0]));
    };
    const perTn = rows('per-tn');
    expect(Object.values(perTn).filter(Boolean).length).toBeGreaterThan(10);
    expect(rows('per-segment')).toEqual(perTn);
  });

  it('per-segment folds accepted frames into one point per 10 s, segment, role and class, and keeps their count', async () => {
    const accepted = async (tagging: string, select: string) =>
      (await server.query(`SELECT ${select} FROM "frame_accepted" WHERE "run" = 'tagging-${tagging}' AND "mode" = 'lean'`, DB)).results[0]
        ?.series?.[0]?.values?.[0]?.[1] as number | undefined;
    const frames = await accepted('per-tn', 'count("counter")');
    expect(frames).toBeGreaterThan(50);
    expect(await accepted('per-tn', 'sum("count")')).toBe(frames);
    expect(await accepted('per-segment', 'sum("count")')).toBe(frames);
    expect(await accepted('per-segment', 'count("count")')).toBeLessThan(frames! / 3);
    expect(await accepted('per-segment', 'max("counter")')).toBe(await accepted('per-tn', 'max("counter")'));
  });

  it('the runs found the same, whatever the tagging (lean: byte for byte; smgw-tls draws its own TLS randomness)', () => {
    const lean = (r: RunResult) => JSON.stringify(r.summary.modes.lean);
    expect(lean(runs.get('per-segment')!)).toBe(lean(runs.get('per-tn')!));
  });
});
