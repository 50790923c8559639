/**
 * Nothing lost (issue 6): the real InfluxDB goes away in the middle of a run (killed, frozen,
 * or gone for good); the run keeps emitting without waiting; every point ends up on the server,
 * or on disk where stop() says it is.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INFLUXDB_DEFAULTS, type InfluxDBConfig } from '../../bench/metrics/influxdb-config';
import { InfluxDBOutput } from '../../bench/metrics/influxdb-output';
import { lineProtocolFiles, replayLineProtocol } from '../../bench/metrics/replay';
import { isSpillFile } from '../../bench/metrics/spill-store';
import { Timebase } from '../../bench/metrics/timebase';
import type { Sample } from '../../core/metrics';
import { countPoints, startInfluxd, type InfluxServer } from '../setup/influxdb';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function server(): Promise<InfluxServer> {
  const s = await startInfluxd();
  cleanup.push(() => s.dispose());
  return s;
}

function output(s: InfluxServer, db: string, over: Partial<InfluxDBConfig>) {
  const dir = mkdtempSync(join(tmpdir(), 'gridbench-outage-'));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const log: string[] = [];
  const out = new InfluxDBOutput({
    config: { ...INFLUXDB_DEFAULTS, addr: s.url, db, ...over },
    timebase: new Timebase('real', Date.now()),
    spillDir: join(dir, 'influxdb-spill'),
    log: (m) => log.push(m),
  });
  return { out, log, spillDir: join(dir, 'influxdb-spill') };
}

interface Production {
  slowestAddMs: number;
  maxMemory: number;
  maxDisk: number;
}

/**
 * Emits `total` meter_round samples, `perTick` at a time every `tickMs` of wall time (so many
 * share a millisecond), calling `at[n]` once n samples went out. Never awaits the output.
 */
async function produce(
  out: InfluxDBOutput,
  run: string,
  total: number,
  at: Record<number, () => void>,
  perTick = 100,
  tickMs = 10,
): Promise<Production> {
  const stats: Production = { slowestAddMs: 0, maxMemory: 0, maxDisk: 0 };
  for (let sent = 0; sent < total;) {
    const batch: Sample[] = [];
    for (let i = 0; i < perTick && sent < total; i++, sent++)
      batch.push({
        measurement: 'meter_round',
        tags: { run, mode: 'lean', scenario: 'outage' },
        fields: { counter: sent, duration_ms: sent % 97, responses: 50, missing: 0 },
        time: Date.now(),
      });
    const began = performance.now();
    out.addSamples(batch);
    stats.slowestAddMs = Math.max(stats.slowestAddMs, performance.now() - began);
    at[sent]?.();
    const pending = out.pending();
    stats.maxMemory = Math.max(stats.maxMemory, pending.memory);
    stats.maxDisk = Math.max(stats.maxDisk, pending.disk);
    await new Promise((r) => setTimeout(r, tickMs));
  }
  return stats;
}

const spillFiles = (dir: string) => readdirSync(dir).filter(isSpillFile);

describe('InfluxDBOutput loses nothing', () => {
  it('when the server is killed mid-run and started again on the same port and data directory', async () => {
    const s = await server();
    const { out, log, spillDir } = output(s, 'crash', {
      pushIntervalMs: 200,
      batchSize: 500,
      bufferPoints: 2000,
      requestTimeoutMs: 1000,
      stopTimeoutMs: 60_000,
    });
    await out.start();
    const total = 30_000;
    let restarted: Promise<void> = Promise.resolve();
    let killed: Promise<void> = Promise.resolve();
    const production = await produce(out, 'crash', total, {
      6000: () => (killed = s.stop({ kill: true })),
      24_000: () => (restarted = killed.then(() => s.start())),
    });
    await restarted;
    const stopping = performance.now();
    await out.stop();
    const stopMs = performance.now() - stopping;
    const counted = await countPoints(s, 'crash', 'meter_round', 'counter');
    const report = out.report();
    console.log(
      `outage (kill -9, restart): emitted ${total}, counted on the server ${counted}; spilled ${report.spilled}, ` +
        `max in memory ${production.maxMemory} (bound 2000), max on disk ${production.maxDisk}, ` +
        `slowest addSamples ${production.slowestAddMs.toFixed(1)} ms, stop() took ${stopMs.toFixed(0)} ms, outages ${report.outages}`,
    );
    expect(counted).toBe(total);
    expect(report.outages).toBeGreaterThanOrEqual(1);
    expect(report.spilled).toBeGreaterThan(0);
    expect(production.maxDisk).toBeGreaterThan(0);
    // The bound holds up to what arrives while one spill file is being written.
    expect(production.maxMemory).toBeLessThanOrEqual(2000 + 500 + 100 * 10);
    expect(report.remaining.points).toBe(0);
    expect(spillFiles(spillDir)).toEqual([]);
    expect(log.join('\n')).toMatch(/cannot write to .*buffering up to 2000 points in memory/);
    expect(log.join('\n')).toMatch(/answers again after [\d.]+ s; writing \d+ buffered points/);
  });

  it('when the server hangs (frozen process, writes time out) and then wakes up', async () => {
    const s = await server();
    const { out } = output(s, 'hang', {
      pushIntervalMs: 200,
      batchSize: 500,
      bufferPoints: 1000,
      requestTimeoutMs: 500,
      stopTimeoutMs: 60_000,
    });
    await out.start();
    const total = 12_000;
    const production = await produce(out, 'hang', total, { 3000: () => s.pause(), 9000: () => s.resume() });
    await out.stop();
    const counted = await countPoints(s, 'hang', 'meter_round', 'counter');
    const report = out.report();
    console.log(
      `outage (SIGSTOP, SIGCONT): emitted ${total}, counted ${counted}; spilled ${report.spilled}, ` +
        `slowest addSamples ${production.slowestAddMs.toFixed(1)} ms, last error "${report.lastError}"`,
    );
    expect(counted).toBe(total);
    expect(report.outages).toBeGreaterThanOrEqual(1);
    expect(report.lastError).toMatch(/timed out/i);
    expect(report.remaining.points).toBe(0);
  });

  it('when the server never comes back: stop() gives up in time, leaves every point on disk, and replay loads them', async () => {
    const s = await server();
    const { out, log, spillDir } = output(s, 'gone', {
      pushIntervalMs: 100,
      batchSize: 500,
      bufferPoints: 1000,
      requestTimeoutMs: 500,
      stopTimeoutMs: 1000,
    });
    await out.start();
    const total = 5000;
    let killed: Promise<void> = Promise.resolve();
    await produce(out, 'gone', total, { 2000: () => (killed = s.stop({ kill: true })) });
    await killed;
    const stopping = performance.now();
    await out.stop();
    const stopMs = performance.now() - stopping;
    const report = out.report();
    // Everything not acknowledged is in the spill files stop() names, one line per point.
    const files = lineProtocolFiles(spillDir);
    const lines = files
      .map(
        (f) =>
          readFileSync(f, 'utf8')
            .split('\n')
            .filter((l) => l && !l.startsWith('#')).length,
      )
      .reduce((a, b) => a + b, 0);
    expect(report.remaining.points).toBeGreaterThan(0);
    expect(report.remaining.files).toEqual(files);
    expect(lines).toBe(report.remaining.points);
    expect(log.at(-1)).toContain(`${report.remaining.points} points could not be written`);
    // stop timeout plus at most one request timeout and a push interval, loosely
    expect(stopMs).toBeLessThan(1000 + 500 + 100 + 2000);

    await s.start();
    const before = await countPoints(s, 'gone', 'meter_round', 'counter');
    // A batch in flight when the server died may have landed without an answer: it is then both
    // on the server and on disk, and writing it again changes nothing (same series, same times).
    expect(before + report.remaining.points).toBeGreaterThanOrEqual(total);
    const replayed = await replayLineProtocol(files, { ...INFLUXDB_DEFAULTS, addr: s.url, db: 'gone' });
    expect(replayed).toBe(report.remaining.points);
    expect(await countPoints(s, 'gone', 'meter_round', 'counter')).toBe(total);
    expect(spillFiles(spillDir)).toEqual([]);
    console.log(
      `outage (gone for good): ${before} written during the run, ${report.remaining.points} left on disk in ${files.length} files, ` +
        `stop() gave up after ${stopMs.toFixed(0)} ms, replay wrote them all (${before + replayed} of ${total})`,
    );
  });
});
