/**
 * Where a run sits in time, as summary.json reports it and the dashboard link uses it: a
 * real-clock run where it happened; a virtual-clock run placed so that its timeline ends when the
 * run ended (bench/metrics/timebase.ts).
 */
import { DEFAULT_GRAFANA_URL, GRAFANA_URL_ENV } from '../../dashboards/run-link';
import type { Timebase } from '../metrics/timebase';

export interface RunPlacement {
  readonly clock: 'real' | 'virtual';
  /** wall-clock: samples at the time they were taken; run-end: virtual time 0 placed so that the run ends when it ended. */
  readonly placement: 'wall-clock' | 'run-end';
  /** The run's span: its start (virtual time 0) to the moment it ended, epoch ms and ISO. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly from: string;
  readonly to: string;
  /** What metrics.lp's header says. */
  readonly description: string;
}

export function runPlacement(timebase: Timebase, endedMs: number): RunPlacement {
  const fromMs = timebase.startEpochMs;
  return {
    clock: timebase.clock,
    placement: timebase.clock === 'virtual' ? 'run-end' : 'wall-clock',
    fromMs,
    toMs: endedMs,
    from: new Date(fromMs).toISOString(),
    to: new Date(endedMs).toISOString(),
    description: timebase.describe(),
  };
}

/** Grafana's address: the option, then GRIDBENCH_GRAFANA_URL, then http://localhost:3000; an error names where a bad one came from. */
export function grafanaBaseUrl(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const [value, where] =
    option !== undefined
      ? [option, '--grafana']
      : env[GRAFANA_URL_ENV]
        ? [env[GRAFANA_URL_ENV]!, GRAFANA_URL_ENV]
        : [DEFAULT_GRAFANA_URL, ''];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${where}: "${value}" is not a URL (expected http://host:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: "${value}" is not an http(s) URL`);
  return value.replace(/\/+$/, '');
}
