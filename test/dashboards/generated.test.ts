import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS_ROOT, renderAll } from '../../dashboards/generate';
import { GRAFANA_DASHBOARDS_PATH, INFLUX_DATASOURCE, LAB_DATABASE, MIN_INTERVAL_MS } from '../../dashboards/datasource';
import { panelTargets, variableDefinitions } from '../../dashboards/query-check';

const committed = (path: string) => readFileSync(join(DASHBOARDS_ROOT, path), 'utf8');
const files = renderAll();
const dashboard = JSON.parse(files['json/gridbench.json']!) as {
  panels: {
    id: number;
    type: string;
    title: string;
    datasource?: { uid?: string };
    targets?: { datasource?: { uid?: string } }[];
    fieldConfig?: unknown;
  }[];
  templating: { list: { name: string }[] };
  annotations: {
    list: {
      name: string;
      enable: boolean;
      iconColor: string;
      datasource: { uid: string };
      target: Record<string, unknown> & { query: string };
    }[];
  };
  uid: string;
};

describe('dashboards as code', () => {
  it.each(Object.keys(files))('committed dashboards/%s is what `npx tsx dashboards/generate.ts` produces', (path) => {
    expect(committed(path), `dashboards/${path} is stale: run npx tsx dashboards/generate.ts`).toBe(files[path]);
  });

  it('has the panels a lab engineer watches during a run', () => {
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    const has = (type: string, title: RegExp) => panels.some((p) => p.type === type && title.test(p.title));
    expect(has('timeseries', /automation latency p50 \/ p99 by mode/i)).toBe(true);
    expect(has('heatmap', /automation latency/i)).toBe(true);
    expect(has('timeseries', /handshakes in progress and segment utilization/i)).toBe(true);
    expect(has('timeseries', /storm duration against its physical bound/i)).toBe(true);
    expect(has('timeseries', /meter round/i)).toBe(true);
    expect(has('stat', /accepted .* per goal/i)).toBe(true);
    expect(has('timeseries', /channel drops by reason/i)).toBe(true);
    expect(has('timeseries', /queue delay/i)).toBe(true);
    expect(has('state-timeline', /board status/i)).toBe(true);
    expect(has('stat', /automation delivery ratio by mode/i)).toBe(true);
    expect(has('timeseries', /delivery and bytes per command/i)).toBe(true);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['run', 'mode', 'segment']);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('marks campaign steps, power restorations, storms and board resets on the time axis, each switchable on its own', () => {
    const annotations = dashboard.annotations.list;
    expect(annotations.map((a) => a.name)).toEqual(['Campaign steps', 'Power restorations', 'Renegotiation storms', 'Board resets']);
    for (const a of annotations) {
      expect(a).toMatchObject({ enable: true, datasource: { uid: INFLUX_DATASOURCE.uid } });
      expect(a.target).toMatchObject({ rawQuery: true, fromAnnotations: true, textColumn: 'text', tagsColumn: 'kind,mode' });
      expect(a.target.query).toMatch(/^SELECT "text", "kind", "mode" FROM "event" WHERE \$timeFilter AND "run" =~ \/\^\$run\$\//);
    }
    expect(new Set(annotations.map((a) => a.iconColor)).size).toBe(annotations.length);
  });

  it('shows attacker frames accepted in red as soon as there is one', () => {
    const stat = dashboard.panels.find((p) => p.type === 'stat' && /accepted/.test(p.title))!;
    expect(stat.fieldConfig).toMatchObject({
      defaults: {
        color: { mode: 'thresholds' },
        thresholds: {
          steps: [
            { value: null, color: 'green' },
            { value: 1, color: 'red' },
          ],
        },
      },
    });
    expect(stat).toMatchObject({ options: { colorMode: 'background' } });
    const table = dashboard.panels.find((p) => p.type === 'table' && /attack outcomes/i.test(p.title))!;
    expect(JSON.stringify(table.fieldConfig)).toContain('"matcher":{"id":"byName","options":"accepted"}');
    expect(JSON.stringify(table.fieldConfig)).toContain('{"value":1,"color":"red"}');
  });

  it('queries only the provisioned InfluxDB data source, in raw InfluxQL', () => {
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe(INFLUX_DATASOURCE.uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(t.datasource?.uid, panel.title).toBe(INFLUX_DATASOURCE.uid);
    }
    expect(panelTargets(dashboard).every((t) => t.query.includes('$timeFilter'))).toBe(true);
    expect(variableDefinitions(dashboard).map((v) => v.query)).toEqual([
      'SHOW TAG VALUES WITH KEY = "run"',
      'SHOW TAG VALUES WITH KEY = "mode" WHERE "run" =~ /^$run$/',
      'SHOW TAG VALUES WITH KEY = "segment" WHERE "run" =~ /^$run$/',
    ]);
  });

  it('provisions the data source the panels use and the folder the JSON is mounted in', () => {
    const ds = parse(files['provisioning/datasources/gridbench.yaml']!).datasources[0];
    expect(ds).toMatchObject({
      uid: INFLUX_DATASOURCE.uid,
      type: 'influxdb',
      url: 'http://influxdb:8086',
      jsonData: { dbName: LAB_DATABASE, timeInterval: `${MIN_INTERVAL_MS / 1000}s` },
    });
    const provider = parse(files['provisioning/dashboards/gridbench.yaml']!).providers[0];
    expect(provider).toMatchObject({ type: 'file', folder: 'gridbench', options: { path: GRAFANA_DASHBOARDS_PATH } });
  });
});
