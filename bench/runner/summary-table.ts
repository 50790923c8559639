/** The summary table `gridbench run` prints at the end: one column per mode. */
import type { RunSummary, StormSummary } from './summary';

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits).replace(/\.0+$/, '');

/** A few storms are listed; many are summed up by their count and the worst ratio to the bound. */
function storms(list: readonly StormSummary[]): string {
  if (list.length === 0) return '-';
  if (list.length <= 3) return list.map((s) => `${fmt(s.measuredS, 2)} / ${fmt(s.boundS, 2)}`).join(', ');
  const worst = list.reduce((w, s) => (s.measuredS / s.boundS > w.measuredS / w.boundS ? s : w));
  return `${list.length} storms, worst ${fmt(worst.measuredS, 1)} / ${fmt(worst.boundS, 1)} (${fmt(worst.measuredS / worst.boundS, 2)} x)`;
}

export function summaryTable(summary: RunSummary): string {
  const modes = Object.keys(summary.modes);
  const m = (key: string) => summary.modes[key]!;
  const rows: [string, ...string[]][] = [
    ['automation latency p50 / p99 (ms)', ...modes.map((k) => `${fmt(m(k).automation.p50Ms)} / ${fmt(m(k).automation.p99Ms)}`)],
    ['automation accepted / addressed', ...modes.map((k) => `${m(k).automation.count} / ${m(k).automation.addressed}`)],
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
    ['storms: measured / bound (s)', ...modes.map((k) => storms(m(k).storms))],
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
  return out.join('\n');
}
