/**
 * The link to one run on the dashboard: its time range and its run id as the `run` variable, so
 * it opens exactly that run however long ago or however long it was (the dashboard's default
 * range, the last 15 minutes, shows only the end of a longer run). `gridbench run` prints it and
 * summary.json keeps it.
 */
export const DASHBOARD_UID = 'gridbench-overview';
/** The URL slug Grafana gives the dashboard titled "gridbench" (any slug resolves by uid). */
export const DASHBOARD_SLUG = 'gridbench';
export const DEFAULT_GRAFANA_URL = 'http://localhost:3000';
export const GRAFANA_URL_ENV = 'GRIDBENCH_GRAFANA_URL';

export interface RunRange {
  readonly run: string;
  /** Epoch ms of the run's first and last moment. */
  readonly fromMs: number;
  readonly toMs: number;
}

export function runDashboardUrl(grafana: string, range: RunRange): string {
  const params = new URLSearchParams({
    orgId: '1',
    from: String(Math.floor(range.fromMs)),
    to: String(Math.ceil(range.toMs)),
    'var-run': range.run,
  });
  return `${grafana.replace(/\/+$/, '')}/d/${DASHBOARD_UID}/${DASHBOARD_SLUG}?${params}`;
}
