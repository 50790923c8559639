/**
 * Runs a dashboard's queries the way Grafana would, against a real InfluxDB: resolves the
 * template variables with their own SHOW TAG VALUES queries, expands every panel target's
 * macros and variables, executes it, and reports what came back. Used by the tests (every
 * panel must return data after a bench run) and usable against the lab:
 *
 *   const report = await checkDashboardQueries(dashboard, influxQueryRunner('http://localhost:8086', 'gridbench'), { range });
 */
import { ALL, expandQuery, grafanaInterval, type TimeRange, type VariableState } from './grafana-macros';

export interface PanelTarget {
  readonly panelId: number | undefined;
  readonly panel: string;
  readonly panelType: string;
  readonly refId: string;
  readonly query: string;
  readonly maxDataPoints: number | undefined;
}

export interface VariableDefinition {
  readonly name: string;
  readonly query: string;
  readonly multi: boolean;
  readonly includeAll: boolean;
  readonly allValue?: string;
  /** Grafana's VariableSort: 1 alphabetical ascending, 2 descending, 0 as returned. */
  readonly sort: number;
}

interface DashboardJson {
  panels?: {
    id?: number;
    title?: string;
    type?: string;
    maxDataPoints?: number;
    targets?: { refId?: string; query?: string; hide?: boolean }[];
    panels?: DashboardJson['panels'];
  }[];
  annotations?: { list?: { name?: string; enable?: boolean; target?: { refId?: string; query?: string } }[] };
  templating?: {
    list?: { name: string; type: string; query?: unknown; multi?: boolean; includeAll?: boolean; allValue?: string; sort?: number }[];
  };
}

/** Every query target of every panel (rows' nested panels included). */
export function panelTargets(dashboard: unknown): PanelTarget[] {
  const out: PanelTarget[] = [];
  const visit = (panels: DashboardJson['panels']) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        if (target.hide) continue;
        out.push({
          panelId: panel.id,
          panel: panel.title ?? '(untitled)',
          panelType: panel.type ?? '?',
          refId: target.refId ?? 'A',
          query: target.query ?? '',
          maxDataPoints: panel.maxDataPoints,
        });
      }
      visit(panel.panels);
    }
  };
  visit((dashboard as DashboardJson).panels);
  return out;
}

/** Every enabled annotation query, by its name (rows' refId is the annotation's name). */
export function annotationTargets(dashboard: unknown): PanelTarget[] {
  return ((dashboard as DashboardJson).annotations?.list ?? [])
    .filter((a) => a.enable !== false && typeof a.target?.query === 'string')
    .map((a) => ({
      panelId: undefined,
      panel: `annotation: ${a.name ?? '(unnamed)'}`,
      panelType: 'annotation',
      refId: a.target!.refId ?? 'Anno',
      query: a.target!.query!,
      maxDataPoints: undefined,
    }));
}

export function variableDefinitions(dashboard: unknown): VariableDefinition[] {
  return ((dashboard as DashboardJson).templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => ({
      name: v.name,
      query: typeof v.query === 'string' ? v.query : String((v.query as { query?: string })?.query ?? ''),
      multi: v.multi ?? false,
      includeAll: v.includeAll ?? false,
      ...(v.allValue !== undefined && v.allValue !== '' ? { allValue: v.allValue } : {}),
      sort: v.sort ?? 0,
    }));
}

export interface InfluxResponse {
  results?: {
    statement_id?: number;
    series?: { name: string; tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[];
    error?: string;
  }[];
  error?: string;
}

export type QueryRunner = (query: string) => Promise<InfluxResponse>;

/**
 * Runs InfluxQL on a server's /query endpoint as Grafana's data source does (epoch ms). The
 * database may be left out for statements that need none (CREATE DATABASE).
 */
export function influxQueryRunner(url: string, db?: string): QueryRunner {
  return async (q) => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: params.toString(),
    });
    const text = await res.text();
    try {
      return JSON.parse(text) as InfluxResponse;
    } catch {
      return { error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
    }
  };
}

export interface QueryResult {
  readonly panel: string;
  readonly refId: string;
  readonly query: string;
  readonly expanded: string;
  readonly error?: string;
  readonly series: number;
  /** Rows with at least one non-null value besides time. */
  readonly rows: number;
}

export interface CheckOptions {
  readonly range: TimeRange;
  /** Values to pick; by default All where offered, else the first option in the variable's sort order. */
  readonly selections?: Readonly<Record<string, string | readonly string[]>>;
  /** Points a panel can draw when it sets no maxDataPoints (Grafana uses the panel's pixel width). */
  readonly maxDataPoints?: number;
  /** The data source's minimum interval (timeInterval). */
  readonly minIntervalMs?: number;
}

export interface CheckReport {
  readonly variables: Record<
    string,
    { readonly options: readonly string[]; readonly selected: string | readonly string[]; readonly error?: string }
  >;
  readonly results: readonly QueryResult[];
  /** The annotation queries, run the same way. */
  readonly annotations: readonly QueryResult[];
}

function errorOf(response: InfluxResponse): string | undefined {
  return response.error ?? response.results?.find((r) => r.error)?.error;
}

function count(response: InfluxResponse): { series: number; rows: number } {
  let series = 0;
  let rows = 0;
  for (const result of response.results ?? [])
    for (const s of result.series ?? []) {
      series++;
      rows += (s.values ?? []).filter((row) => row.slice(1).some((v) => v !== null)).length;
    }
  return { series, rows };
}

export async function checkDashboardQueries(dashboard: unknown, run: QueryRunner, options: CheckOptions): Promise<CheckReport> {
  const { range, selections = {}, maxDataPoints = 1000, minIntervalMs = 1000 } = options;
  const states: Record<string, VariableState> = {};
  const variables: Record<string, CheckReport['variables'][string]> = {};
  const baseInterval = grafanaInterval(range, maxDataPoints, minIntervalMs);
  for (const def of variableDefinitions(dashboard)) {
    const response = await run(expandQuery(def.query, { range, intervalMs: baseInterval, variables: states }));
    const found = new Set<string>();
    for (const result of response.results ?? [])
      for (const s of result.series ?? []) for (const row of s.values ?? []) if (typeof row[1] === 'string') found.add(row[1]);
    const values = [...found];
    if (def.sort === 1) values.sort();
    if (def.sort === 2) values.sort().reverse();
    const selected = selections[def.name] ?? (def.includeAll ? ALL : (values[0] ?? ''));
    states[def.name] = {
      value: selected,
      multi: def.multi,
      includeAll: def.includeAll,
      ...(def.allValue !== undefined ? { allValue: def.allValue } : {}),
      options: values,
    };
    const error = errorOf(response);
    variables[def.name] = { options: values, selected, ...(error ? { error } : {}) };
  }
  const runAll = async (targets: readonly PanelTarget[]): Promise<QueryResult[]> => {
    const results: QueryResult[] = [];
    for (const target of targets) {
      const intervalMs = grafanaInterval(range, target.maxDataPoints ?? maxDataPoints, minIntervalMs);
      const expanded = expandQuery(target.query, { range, intervalMs, variables: states });
      const response = await run(expanded);
      const error = errorOf(response);
      results.push({
        panel: target.panel,
        refId: target.refId,
        query: target.query,
        expanded,
        ...(error ? { error } : {}),
        ...count(response),
      });
    }
    return results;
  };
  return { variables, results: await runAll(panelTargets(dashboard)), annotations: await runAll(annotationTargets(dashboard)) };
}
