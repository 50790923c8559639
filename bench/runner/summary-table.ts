/** The summary table `gridbench run` prints at the end: one column per mode. */
import { formatDuration } from '../scenario/units';
import type { ModeSummary, RunSummary, StormSummary } from './summary';

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits).replace(/\.0+$/, '');

const bound = (s: StormSummary, digits: number) => (s.boundS === null ? 'not computed' : fmt(s.boundS, digits));

/**
 * A few storms are listed; many are summed up by their count and the worst ratio to the bound,
 * among those whose bound was computed (storm-bound.ts), with how many had none.
 */
export function stormsCell(list: readonly StormSummary[]): string {
  if (list.length === 0) return '-';
  if (list.length <= 3) return list.map((s) => `${fmt(s.measuredS, 2)} / ${bound(s, 2)}`).join(', ');
  const bounded = list.filter((s): s is StormSummary & { boundS: number } => s.boundS !== null);
  const unbounded = list.length - bounded.length;
  const without = unbounded ? `, ${unbounded} with no bound computed` : '';
  if (!bounded.length) return `${list.length} storms, none with a bound computed`;
  const worst = bounded.reduce((w, s) => (s.measuredS / s.boundS > w.measuredS / w.boundS ? s : w));
  return `${list.length} storms, worst ${fmt(worst.measuredS, 1)} / ${fmt(worst.boundS, 1)} (${fmt(worst.measuredS / worst.boundS, 2)} x)${without}`;
}

/** Delivery ratio with its counts: "98.83 % (593 / 600)". */
export function delivered(a: ModeSummary['automation']): string {
  const ratio = a.deliveryRatio === null ? '-' : `${fmt(a.deliveryRatio * 100, 2)} %`;
  return `${ratio} (${a.count} / ${a.addressed})`;
}

/** The default time range of the dashboard, which a run longer than this does not fit. */
const DEFAULT_RANGE_MS = 15 * 60_000;

/** The lines after the table: the run's dashboard link, what it shows, and how to get the points there. */
export function dashboardLines(summary: RunSummary, runDir: string, out: readonly string[]): string[] {
  const p = summary.placement;
  const spanMs = p.toMs - p.fromMs;
  const lines = [`dashboard: ${summary.dashboard}`];
  const where = p.placement === 'run-end' ? 'virtual clock, placed so that it ended when the run ended' : 'real clock, where it happened';
  lines.push(`  this run's whole span: ${p.from} to ${p.to} (${formatDuration(spanMs)}, ${where})`);
  if (spanMs > DEFAULT_RANGE_MS)
    lines.push("  the dashboard's default range, the last 15 minutes, shows only its end: open this link to see all of it");
  if (!out.some((spec) => spec.trim().startsWith('influxdb')))
    lines.push(
      `  its points reach InfluxDB with --out influxdb=URL, or afterwards: npx tsx bench/metrics/replay.ts ${runDir}/metrics.lp influxdb=http://localhost:8086/gridbench`,
    );
  return lines;
}

export function summaryTable(summary: RunSummary): string {
  const modes = Object.keys(summary.modes);
  const m = (key: string) => summary.modes[key]!;
  const rows: [string, ...string[]][] = [
    ['automation latency p50 / p99 (ms)', ...modes.map((k) => `${fmt(m(k).automation.p50Ms)} / ${fmt(m(k).automation.p99Ms)}`)],
    ['automation delivered (accepted / addressed)', ...modes.map((k) => delivered(m(k).automation))],
    ['bytes on the segment per command', ...modes.map((k) => fmt(m(k).bytesPerCommand, 0))],
    ['relay pin latency p50 / p99 (ms)', ...modes.map((k) => `${fmt(m(k).relay.p50Ms)} / ${fmt(m(k).relay.p99Ms)}`)],
    [
      'meter rounds (p50 ms, missing)',
      ...modes.map((k) => `${m(k).meterRounds.rounds} (${fmt(m(k).meterRounds.p50Ms, 0)}, ${m(k).meterRounds.missing})`),
    ],
    ['firmware installs', ...modes.map((k) => String(m(k).firmware.installs))],
    [
      'handshakes (p50 ms, mean bytes)',
      ...modes.map((k) => `${m(k).handshakes.count} (${fmt(m(k).handshakes.p50Ms, 0)}, ${fmt(m(k).handshakes.meanBytes, 0)})`),
    ],
    ['storms: measured / bound (s)', ...modes.map((k) => stormsCell(m(k).storms))],
    [
      'attacks injected / accepted / rejected',
      ...modes.map((k) => `${m(k).attacks.injected} / ${m(k).attacks.accepted} / ${m(k).attacks.rejected}`),
    ],
  ];
  const goals = [...new Set(modes.flatMap((k) => Object.keys(m(k).attacks.byGoal)))].sort();
  for (const goal of goals)
    rows.push([
      `  ${goal}`,
      ...modes.map((k) => {
        const t = m(k).attacks.byGoal[goal];
        return t ? `${t.injected} / ${t.accepted} / ${t.rejected}` : '-';
      }),
    ]);
  const header: [string, ...string[]] = ['', ...modes];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  for (const k of modes)
    for (const v of m(k).violations) out.push(`VIOLATION ${k}: ${v.goal}: ${v.detail}${v.attack ? ` (attack ${v.attack})` : ''}`);
  for (const k of modes)
    for (const f of m(k).failedSteps)
      out.push(
        `FAILED ${k}: campaign ${f.campaign}, ${f.step === null ? 'module' : `step ${f.step} (${f.kind})`} at ${fmt(f.atMs / 1000, 1)} s: ${f.error}`,
      );
  if (summary.thresholds.length) {
    out.push('', 'thresholds:');
    for (const t of summary.thresholds) out.push(`  ${t.ok ? 'ok    ' : 'FAILED'} ${t.key}: ${t.expression} (actual ${fmt(t.actual, 2)})`);
  }
  for (const f of summary.failures ?? []) out.push(`FAILED run: ${f}`);
  return out.join('\n');
}
