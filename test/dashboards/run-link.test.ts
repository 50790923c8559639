import { describe, expect, it } from 'vitest';
import { grafanaBaseUrl } from '../../bench/runner/run-placement';
import { dashboardLines } from '../../bench/runner/summary-table';
import type { RunSummary } from '../../bench/runner/summary';
import { DASHBOARD_UID, runDashboardUrl } from '../../dashboards/run-link';
import { renderAll } from '../../dashboards/generate';

const HOUR = 3_600_000;
const END = Date.UTC(2026, 11, 4, 12, 0, 0);

describe('the dashboard link of a run', () => {
  it('opens the dashboard over the run, with the run picked', () => {
    const url = new URL(runDashboardUrl('http://grafana.lab:3000/', { run: 'default-20261204T120000Z', fromMs: END - 1000.4, toMs: END }));
    expect(url.origin + url.pathname).toBe(`http://grafana.lab:3000/d/${DASHBOARD_UID}/gridbench`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      orgId: '1',
      from: String(END - 1001),
      to: String(END),
      'var-run': 'default-20261204T120000Z',
    });
    expect(JSON.parse(renderAll()['json/gridbench.json']!).uid).toBe(DASHBOARD_UID);
  });

  it('takes Grafana from --grafana, then GRIDBENCH_GRAFANA_URL, then localhost:3000; a bad one is named', () => {
    expect(grafanaBaseUrl(undefined, {})).toBe('http://localhost:3000');
    expect(grafanaBaseUrl(undefined, { GRIDBENCH_GRAFANA_URL: 'https://g.example/' })).toBe('https://g.example');
    expect(grafanaBaseUrl('http://a:3000', { GRIDBENCH_GRAFANA_URL: 'https://g.example' })).toBe('http://a:3000');
    expect(() => grafanaBaseUrl('grafana:3000', {})).toThrow(/--grafana: "grafana:3000" is not an http\(s\) URL/);
    expect(() => grafanaBaseUrl(undefined, { GRIDBENCH_GRAFANA_URL: 'nope' })).toThrow(/GRIDBENCH_GRAFANA_URL: "nope" is not a URL/);
  });

  it('says that the link is the way to see all of a run longer than the default range, and how its points get to InfluxDB', () => {
    const summary = (spanMs: number) =>
      ({
        dashboard: 'http://localhost:3000/d/x',
        placement: {
          clock: 'virtual',
          placement: 'run-end',
          fromMs: END - spanMs,
          toMs: END,
          from: new Date(END - spanMs).toISOString(),
          to: new Date(END).toISOString(),
          description: '',
        },
      }) as unknown as RunSummary;
    const long = dashboardLines(summary(48 * HOUR), 'results/r', []);
    expect(long[0]).toBe('dashboard: http://localhost:3000/d/x');
    expect(long[1]).toBe(
      "  this run's whole span: 2026-12-02T12:00:00.000Z to 2026-12-04T12:00:00.000Z (48.0 h, virtual clock, placed so that it ended when the run ended)",
    );
    expect(long[2]).toMatch(/default range, the last 15 minutes, shows only its end: open this link to see all of it/);
    expect(long[3]).toMatch(/npx tsx bench\/metrics\/replay\.ts results\/r\/metrics\.lp influxdb=/);
    const short = dashboardLines(summary(10 * 60_000), 'results/r', ['influxdb=http://localhost:8086/gridbench']);
    expect(short).toHaveLength(2);
  });
});
