/**
 * perf:metrics: the metrics path of a run, on the real clock. Human-readable lines first, then
 * one JSON object as the last line:
 *   influxdb  how soon a sample handed to the InfluxDB output is queryable in a real InfluxDB 1.x
 *             (influxd on loopback, started here as the test suites start it) with the default
 *             1 s push interval, per round; target: within one push interval plus the write and
 *             the poll, 3 s on the shared 2-core machine
 *   fold      samples per second folded into a mode's summary and the default scenario's
 *             thresholds (bench/metrics/sinks.ts), median of alternating rounds
 * Environment: METRICS_PERF_ROUNDS (default 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../../core/metrics';
import { median } from '../../core/statistics';
import { countPoints, startInfluxd } from '../../test/setup/influxdb';
import { INFLUXDB_DEFAULTS } from '../metrics/influxdb-config';
import { InfluxDBOutput } from '../metrics/influxdb-output';
import { Timebase } from '../metrics/timebase';
import { ModeSummarizer } from '../runner/summary';
import { loadScenario } from '../scenario/load';
import { parseThresholds, ThresholdSinks } from '../thresholds';
import { report, round } from './measure';

const ROUNDS = Number(process.env.METRICS_PERF_ROUNDS ?? 8);
const TARGET_MS = 3_000;
const log = (msg: string): void => void process.stderr.write(`perf:metrics: ${msg}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Added-to-queryable milliseconds of one point per round, through InfluxDBOutput's own flusher. */
async function influxVisibility(): Promise<number[]> {
  const server = await startInfluxd();
  const spill = mkdtempSync(join(tmpdir(), 'gridbench-perf-metrics-'));
  const output = new InfluxDBOutput({
    config: { ...INFLUXDB_DEFAULTS, addr: server.url, db: 'perf' },
    timebase: new Timebase('real', Date.now()),
    spillDir: join(spill, 'influxdb-spill'),
    log,
  });
  const visibleAfter: number[] = [];
  try {
    await output.start();
    for (let r = 0; r < ROUNDS; r++) {
      const added = performance.now();
      output.addSamples([{ measurement: 'meter_round', tags: { run: 'perf' }, fields: { counter: r, duration_ms: 5 }, time: Date.now() }]);
      while ((await countPoints(server, 'perf', 'meter_round', 'counter')) < r + 1) {
        if (performance.now() - added > 30_000) throw new Error(`point ${r} not queryable after 30 s`);
        await sleep(20);
      }
      visibleAfter.push(performance.now() - added);
    }
  } finally {
    await output.stop();
    await server.dispose();
    rmSync(spill, { recursive: true, force: true });
  }
  return visibleAfter;
}

/** Samples per second through a ModeSummarizer and the default scenario's thresholds. */
function foldRate(samples: readonly Sample[]): number {
  const thresholds = new ThresholdSinks(parseThresholds(loadScenario('bench/scenarios/default.yaml').thresholds));
  const summary = new ModeSummarizer();
  const start = performance.now();
  for (const s of samples) {
    thresholds.add(s);
    summary.add(s);
  }
  thresholds.results();
  summary.latencies();
  return (samples.length * 1000) / (performance.now() - start);
}

const mix = (n: number): Sample[] =>
  Array.from({ length: n }, (_, i): Sample => {
    const tags = { mode: 'lean', segment: 'dc1', dc: 'dc1' };
    if (i % 4 === 0) return { measurement: 'frame_rejected', tags: { ...tags, reason: 'stale-counter' }, fields: { count: 1 }, time: i };
    if (i % 4 === 1) return { measurement: 'channel', tags, fields: { frames_offered: 3, bytes_offered: 240 }, time: i };
    return { measurement: 'automation_latency', tags, fields: { latency_ms: 30 + ((i * 7919) % 1000) / 100 }, time: i };
  });

log(`influxdb: ${ROUNDS} rounds`);
const visible = await influxVisibility();
const samples = mix(200_000);
const rates: number[] = [];
for (let r = 0; r < ROUNDS; r++) rates.push(foldRate(samples));

const result = {
  clock: 'real',
  influxdb: {
    pushIntervalMs: INFLUXDB_DEFAULTS.pushIntervalMs,
    visibleAfterMs: visible.map((ms) => round(ms)),
    medianMs: round(median(visible)),
    maxMs: round(Math.max(...visible)),
    targetMs: TARGET_MS,
    withinTarget: visible.every((ms) => ms < TARGET_MS),
  },
  fold: { samples: samples.length, samplesPerSec: round(median(rates)) },
};
report(result, [
  `influxdb output, added to queryable (push interval ${INFLUXDB_DEFAULTS.pushIntervalMs} ms): median ${result.influxdb.medianMs} ms, max ${result.influxdb.maxMs} ms (target < ${TARGET_MS} ms)`,
  `summary and thresholds fold ${result.fold.samplesPerSec.toLocaleString('en')} samples/s (median of ${ROUNDS} rounds)`,
]);
