/**
 * report.html: one self-contained page (no network, no external script) with the run's summary
 * table, automation-latency CDFs per mode, the renegotiation-storm timeline against its bound, and
 * attack outcomes per goal. The data is embedded as JSON; a small inline script draws the SVG
 * plots when the page opens, and marks <body data-rendered="N"> with the number of plots drawn.
 */
import { writeFileSync } from 'node:fs';
import type { Sample } from '../../core/metrics';
import type { RunSummary } from './summary';
import { stormBound } from './storm-bound';

interface ReportData {
  readonly summary: RunSummary;
  /** Automation latencies (ms) per mode, ascending. */
  readonly latencies: Readonly<Record<string, readonly number[]>>;
  /** Each storm: handshakes in progress around it (s since it started) and its bound. */
  readonly storms: Record<string, StormPlot[]>;
}

interface StormPlot {
  readonly segment: string;
  readonly reason: string;
  readonly measuredS: number;
  readonly boundS: number | null;
  readonly points: [number, number][];
}

const segmentOf = (s: Sample) => s.tags.segment ?? s.tags.dc ?? '?';

/**
 * What the storm plots need, gathered as samples arrive: each storm, and the handshakes-in-progress
 * gauge of every segment (sampled only while handshakes run, so it stays small). The latency CDFs
 * take the summary's own automation-latency values.
 */
export class ReportCollector {
  private readonly storms: { mode: string; sample: Sample }[] = [];
  private readonly inProgress = new Map<string, { time: number; value: number }[]>();

  add(mode: string, sample: Sample): void {
    if (sample.measurement === 'storm') this.storms.push({ mode, sample });
    else if (sample.measurement === 'handshakes_in_progress') {
      const key = `${mode}\u0000${segmentOf(sample)}`;
      const series = this.inProgress.get(key) ?? [];
      series.push({ time: sample.time, value: Number(sample.fields.value) });
      this.inProgress.set(key, series);
    }
  }

  data(summary: RunSummary, latencies: Readonly<Record<string, readonly number[]>>): ReportData {
    const storms: ReportData['storms'] = {};
    for (const { mode, sample: storm } of this.storms) {
      const segment = segmentOf(storm);
      const measuredS = Number(storm.fields.duration_s);
      const start = storm.time - measuredS * 1000;
      // the storm's own window, with some time on each side
      const from = start - 5_000;
      const to = storm.time + Math.max(10_000, measuredS * 200);
      const points: [number, number][] = (this.inProgress.get(`${mode}\u0000${segment}`) ?? [])
        .filter((p) => p.time >= from && p.time <= to)
        .map((p) => [(p.time - start) / 1000, p.value]);
      (storms[mode] ??= []).push({ segment, reason: storm.tags.reason ?? '', measuredS, boundS: stormBound(storm.fields), points });
    }
    return { summary, latencies, storms };
  }
}

export function writeReport(file: string, data: ReportData): void {
  writeFileSync(file, renderReport(data));
}

const escapeJson = (data: unknown) => JSON.stringify(data).replace(/</g, '\\u003c');

export function renderReport(data: ReportData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gridbench ${data.summary.run}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}.bad{background:#fdd;color:#900;font-weight:bold}.good{color:#060}
svg{background:#fcfcfc;border:1px solid #ddd}.axis{stroke:#888}.grid{stroke:#eee}text{font-size:11px;fill:#444}
.note{color:#666;font-size:12px}
</style></head>
<body data-rendered="0">
<h1>gridbench run ${data.summary.run}</h1>
<p class="note" id="meta"></p>
<p class="note">In Grafana (once its points are in InfluxDB): <a id="dashboard"></a></p>
<h2>Summary</h2><div id="summary"></div>
<h2>Automation latency (CDF per mode)</h2><div id="cdf"></div>
<h2>Renegotiation storms (handshakes in progress, with the bound)</h2><div id="storms"></div>
<h2>Attack outcomes per goal</h2><div id="attacks"></div>
<h2>Thresholds</h2><div id="thresholds"></div>
<h2>Campaign steps that failed</h2><div id="steps"></div>
<script id="data" type="application/json">${escapeJson(data)}</script>
<script>
(function(){
const data = JSON.parse(document.getElementById('data').textContent);
const S = data.summary, NS = 'http://www.w3.org/2000/svg', COLORS = {lean:'#1f77b4', 'smgw-tls':'#d62728'};
let drawn = 0;
const el = (tag, attrs, parent) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; };
const txt = (parent, x, y, s, anchor) => { const t = el('text', {x, y, 'text-anchor': anchor || 'start'}, parent); t.textContent = s; return t; };
const fmt = (v, d) => v === null || v === undefined || Number.isNaN(v) ? '-' : (typeof v === 'number' ? +v.toFixed(d === undefined ? 1 : d) : v);
document.getElementById('meta').textContent = 'scenario ' + S.scenario + ', seed ' + S.seed + ', ' + S.clock + ' clock, ' + S.topology.dcs + ' DCs x ' + S.topology.tnsPerDc + ' TNs, run ' + (S.durationMs/1000) + ' s, started ' + S.startedAt + ', wall ' + S.wallSeconds + ' s';

const link = document.getElementById('dashboard'); link.href = S.dashboard; link.textContent = S.placement.from + ' to ' + S.placement.to + ' (' + S.placement.placement + ')';

function table(rows, head) {
  const t = document.createElement('table');
  const tr = t.insertRow(); for (const h of head) { const th = document.createElement('th'); th.textContent = h; tr.appendChild(th); }
  for (const r of rows) { const row = t.insertRow(); for (const c of r) { const td = row.insertCell(); if (c && typeof c === 'object') { td.textContent = c.v; td.className = c.cls || ''; } else td.textContent = c; } }
  return t;
}
const modes = Object.keys(S.modes);
document.getElementById('summary').appendChild(table([
  ['automation latency p50 (ms)', ...modes.map(m => fmt(S.modes[m].automation.p50Ms))],
  ['automation latency p99 (ms)', ...modes.map(m => fmt(S.modes[m].automation.p99Ms))],
  ['automation delivered (accepted / addressed)', ...modes.map(m => { const a = S.modes[m].automation; return (a.deliveryRatio === null ? '-' : fmt(a.deliveryRatio * 100, 2) + ' %') + ' (' + a.count + ' / ' + a.addressed + ')'; })],
  ['bytes on the segment per command', ...modes.map(m => fmt(S.modes[m].bytesPerCommand, 0))],
  ['relay pin latency p50 / p99 (ms)', ...modes.map(m => fmt(S.modes[m].relay.p50Ms) + ' / ' + fmt(S.modes[m].relay.p99Ms))],
  ['meter rounds (p50 ms, missing)', ...modes.map(m => S.modes[m].meterRounds.rounds + ' (' + fmt(S.modes[m].meterRounds.p50Ms) + ', ' + S.modes[m].meterRounds.missing + ')')],
  ['handshakes (p50 ms, mean bytes)', ...modes.map(m => S.modes[m].handshakes.count + ' (' + fmt(S.modes[m].handshakes.p50Ms) + ', ' + fmt(S.modes[m].handshakes.meanBytes, 0) + ')')],
  ['storms: measured / bound (s)', ...modes.map(m => S.modes[m].storms.map(s => fmt(s.measuredS, 2) + ' / ' + (s.boundS === null ? 'not computed' : fmt(s.boundS, 2))).join(', ') || '-')],
  ['attacks injected / accepted / rejected', ...modes.map(m => { const a = S.modes[m].attacks; return {v: a.injected + ' / ' + a.accepted + ' / ' + a.rejected, cls: a.accepted > 0 ? 'bad' : ''}; })],
], ['', ...modes]));

function plot(container, title, series, opts) {
  const W = 720, H = 300, L = 60, R = 20, T = 20, B = 40;
  const svg = el('svg', {width: W, height: H, 'data-plot': opts.kind}, null);
  const all = series.flatMap(s => s.points);
  if (!all.length) { const p = document.createElement('p'); p.className = 'note'; p.textContent = 'no data for ' + title; container.appendChild(p); return; }
  const xs = [...all.map(p => p[0]), ...(opts.vlines || []).map(v => v.x)];
  const xmax = Math.max(...xs) * 1.05 || 1;
  const xmin = opts.logX ? Math.max(0.1, Math.min(...all.map(p => p[0])) / 1.5) : Math.min(0, ...xs);
  const ymax = opts.ymax || Math.max(...all.map(p => p[1])) * 1.1 || 1;
  const fx = opts.logX ? (x => (Math.log10(Math.max(x, xmin)) - Math.log10(xmin)) / (Math.log10(xmax) - Math.log10(xmin))) : (x => (x - xmin) / (xmax - xmin));
  const X = x => L + fx(x) * (W - L - R), Y = y => H - B - (y / ymax) * (H - T - B);
  for (let i = 0; i <= 4; i++) { const y = ymax * i / 4; el('line', {x1: L, x2: W - R, y1: Y(y), y2: Y(y), class: 'grid'}, svg); txt(svg, L - 5, Y(y) + 4, fmt(y, 2), 'end'); }
  const ticks = opts.logX ? [1, 10, 100, 1000, 10000, 100000, 1000000].filter(t => t >= xmin && t <= xmax) : [0, 1, 2, 3, 4, 5].map(i => xmin + (xmax - xmin) * i / 5);
  for (const x of ticks) { el('line', {x1: X(x), x2: X(x), y1: T, y2: H - B, class: 'grid'}, svg); txt(svg, X(x), H - B + 15, fmt(x, 1), 'middle'); }
  el('line', {x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis'}, svg); el('line', {x1: L, x2: L, y1: T, y2: H - B, class: 'axis'}, svg);
  txt(svg, (W + L) / 2, H - 5, opts.xlabel, 'middle'); txt(svg, 10, T, opts.ylabel);
  series.forEach((s, i) => {
    const d = s.points.map((p, j) => (j ? 'L' : 'M') + X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1)).join('');
    el('path', {d, fill: 'none', stroke: s.color, 'stroke-width': 2, class: opts.kind + '-line', 'data-series': s.name}, svg);
    txt(svg, W - R - 150, T + 15 + 15 * i, s.name).setAttribute('fill', s.color);
  });
  (opts.vlines || []).forEach((v, i) => { el('line', {x1: X(v.x), x2: X(v.x), y1: T, y2: H - B, stroke: v.color, 'stroke-dasharray': '5,4', class: 'bound-line'}, svg); txt(svg, X(v.x) - 3, H - B - 10 - 14 * i, v.label, 'end'); });
  container.appendChild(svg); drawn++;
}

plot(document.getElementById('cdf'), 'automation latency', Object.entries(data.latencies).map(([m, v]) => ({
  name: m + ' (n=' + v.length + ')', color: COLORS[m] || '#333', points: v.map((x, i) => [x, (i + 1) / v.length]),
})), {kind: 'cdf', xlabel: 'latency from command send to accepted (ms, log scale)', ylabel: 'fraction of TNs', ymax: 1, logX: true});

const stormBox = document.getElementById('storms');
for (const [mode, list] of Object.entries(data.storms)) for (const s of list) {
  plot(stormBox, 'storm ' + mode + ' ' + s.segment, [{name: mode + ' ' + s.segment + ' (' + s.reason + '): ' + fmt(s.measuredS, 1) + ' s', color: COLORS[mode] || '#333', points: s.points}],
    {kind: 'storm', xlabel: 'time since the storm began (s)', ylabel: 'handshakes in progress', vlines: [
      ...(s.boundS === null ? [] : [{x: s.boundS, label: 'bound ' + fmt(s.boundS, 1) + ' s', color: '#2ca02c'}]), {x: s.measuredS, label: s.boundS === null ? 'end (bound not computed)' : 'end', color: '#999'}]});
}
if (!Object.keys(data.storms).length) { const p = document.createElement('p'); p.className = 'note'; p.textContent = 'no renegotiation storm in this run'; stormBox.appendChild(p); }

const goals = [...new Set(modes.flatMap(m => Object.keys(S.modes[m].attacks.byGoal)))];
document.getElementById('attacks').appendChild(table(goals.flatMap(g => modes.map(m => {
  const t = S.modes[m].attacks.byGoal[g] || {injected: 0, accepted: 0, rejected: 0};
  return [g, m, t.injected, {v: t.accepted, cls: t.accepted > 0 ? 'bad' : 'good'}, t.rejected];
})), ['goal', 'mode', 'injected', 'accepted (violations)', 'rejected']));

document.getElementById('thresholds').appendChild(table(S.thresholds.map(t => [t.key, t.expression, fmt(t.actual, 2), {v: t.ok ? 'ok' : 'FAILED', cls: t.ok ? 'good' : 'bad'}]), ['metric', 'threshold', 'actual', 'result']));
const failed = modes.flatMap(m => (S.modes[m].failedSteps || []).map(f => [f.campaign, f.step === null ? 'module' : 'steps.' + f.step + ' (' + f.kind + ')', m, fmt(f.atMs / 1000, 1), {v: f.error, cls: 'bad'}]));
if (failed.length) document.getElementById('steps').appendChild(table(failed, ['campaign', 'step', 'mode', 'failed at (s)', 'error']));
else { const p = document.createElement('p'); p.className = 'note'; p.textContent = 'none: every campaign step ran'; document.getElementById('steps').appendChild(p); }
document.body.setAttribute('data-rendered', String(drawn));
})();
</script>
</body></html>
`;
}
