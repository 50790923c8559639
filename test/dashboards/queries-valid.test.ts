/**
 * Every panel and variable query of the committed dashboard, expanded as Grafana expands it, is
 * valid InfluxQL on a real InfluxDB (no data needed: a misspelt function or a broken regex fails).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAll } from '../../dashboards/generate';
import { ALL } from '../../dashboards/grafana-macros';
import { annotationTargets, checkDashboardQueries, influxQueryRunner, panelTargets } from '../../dashboards/query-check';
import { startInfluxd, type InfluxServer } from '../setup/influxdb';

const dashboard = JSON.parse(renderAll()['json/gridbench.json']!);
let server: InfluxServer;

beforeAll(async () => {
  server = await startInfluxd();
  await server.query('CREATE DATABASE "empty"');
});
afterAll(async () => server?.dispose());

describe('dashboard queries on a real InfluxDB', () => {
  it.each([
    ['defaults (All modes and segments)', {}],
    ['one mode and two segments', { run: 'default-20250101T000000Z', mode: ['smgw-tls'], segment: ['dc1', 'dc.2'] }],
    ['All picked explicitly', { mode: ALL, segment: [ALL] }],
  ])('parse and run without error: %s', async (_name, selections) => {
    const range = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 0, 1, 0, 20) };
    const report = await checkDashboardQueries(dashboard, influxQueryRunner(server.url, 'empty'), { range, selections });
    for (const [name, v] of Object.entries(report.variables)) expect(v.error, `variable ${name}`).toBeUndefined();
    expect(report.results).toHaveLength(panelTargets(dashboard).length);
    expect(report.annotations).toHaveLength(annotationTargets(dashboard).length);
    for (const r of [...report.results, ...report.annotations]) {
      expect(r.error, `${r.panel} (${r.refId}): ${r.expanded}`).toBeUndefined();
      expect(r.expanded, r.panel).not.toMatch(/\$\w|\[\[/);
    }
  });

  it('reports a query InfluxDB refuses', async () => {
    const broken = {
      panels: [{ title: 'broken', type: 'timeseries', targets: [{ refId: 'A', query: 'SELECT mean("x" FROM "m" WHERE $timeFilter' }] }],
    };
    const report = await checkDashboardQueries(broken, influxQueryRunner(server.url, 'empty'), { range: { from: 0, to: 60_000 } });
    expect(report.results[0]?.error).toMatch(/error parsing query/);
  });
});
