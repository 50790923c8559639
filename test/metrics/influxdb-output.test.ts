import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INFLUXDB_DEFAULTS, type InfluxDBConfig } from '../../bench/metrics/influxdb-config';
import { InfluxDBOutput } from '../../bench/metrics/influxdb-output';
import { parseLines } from '../../bench/metrics/line-protocol';
import type { Point } from '../../bench/metrics/point';
import { Timebase } from '../../bench/metrics/timebase';
import type { Sample } from '../../core/metrics';
import { countPoints, firstValue, readAllPoints, startInfluxd, type InfluxServer } from '../setup/influxdb';
import { describeOutputCompliance } from './output-compliance';

let server: InfluxServer;
const scratch: string[] = [];

beforeAll(async () => {
  server = await startInfluxd();
});
afterAll(async () => {
  await server?.dispose();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function makeOutput(db: string, timebase: Timebase, over: Partial<InfluxDBConfig> = {}, log: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'gridbench-influx-out-'));
  scratch.push(dir);
  const output = new InfluxDBOutput({
    config: { ...INFLUXDB_DEFAULTS, addr: server.url, db, ...over },
    timebase,
    spillDir: join(dir, 'influxdb-spill'),
    log: (m) => log.push(m),
  });
  return { output, dir };
}

describeOutputCompliance('InfluxDBOutput (real InfluxDB)', async (timebase, name) => {
  const db = name.replace(/-/g, '_');
  const { output } = makeOutput(db, timebase, { pushIntervalMs: 200 });
  return {
    output,
    readBack: async () => (await readAllPoints(server, db)) as Point[],
    dispose: async () => void (await server.query(`DROP DATABASE "${db}"`)),
  };
});

describe('InfluxDBOutput', () => {
  // How soon a point is queryable is a timing target: npm run perf:metrics measures it.
  it('streams a live run: the flusher writes each point while the output runs, not only at stop() (default push interval 1 s)', async () => {
    const db = 'live';
    const { output } = makeOutput(db, new Timebase('real', Date.now()));
    expect(output['config'].pushIntervalMs).toBe(1000);
    await output.start();
    try {
      for (let round = 0; round < 4; round++) {
        output.addSamples([
          { measurement: 'meter_round', tags: { run: 'live', mode: 'lean' }, fields: { counter: round, duration_ms: 5 }, time: Date.now() },
        ]);
        // polls the server until the point is there (the suite's timeout ends a wait that never would)
        while ((await countPoints(server, db, 'meter_round', 'counter')) < round + 1) await new Promise((r) => setTimeout(r, 50));
        expect(await countPoints(server, db, 'meter_round', 'counter')).toBe(round + 1);
      }
    } finally {
      await output.stop();
    }
    expect(output.report()).toMatchObject({ received: 4, written: 4, remaining: { points: 0 }, outages: 0 });
  });

  it('keeps points the server refuses (a field type conflict) in rejected.lp and writes the rest', async () => {
    const db = 'refused';
    const log: string[] = [];
    const { output, dir } = makeOutput(db, new Timebase('virtual', Date.UTC(2025, 0, 1)), { pushIntervalMs: 100 }, log);
    await output.start();
    const sample = (time: number, from: string | number): Sample => ({
      measurement: 'frame_rejected',
      tags: { run: 'refused', reason: 'decode' },
      fields: { count: 1, from: from as string },
      time,
    });
    output.addSamples([sample(1, 'tn1.001')]);
    await new Promise((r) => setTimeout(r, 400));
    output.addSamples([sample(2, 'tn1.002'), sample(3, 42), sample(4, 'tn1.004')]);
    await output.stop();
    const report = output.report();
    expect(report).toMatchObject({ received: 4, written: 3, rejected: { points: 1 }, remaining: { points: 0 } });
    expect(report.rejected.reason).toMatch(/field type conflict/);
    expect(report.rejected.file).toBe(join(dir, 'influxdb-spill', 'rejected.lp'));
    const kept = parseLines(readFileSync(report.rejected.file!, 'utf8'));
    expect(kept.map((p) => p.fields.from)).toContain(42);
    expect(firstValue(await server.query(`SELECT count("count") FROM "frame_rejected"`, db))).toBe(3);
    expect(log.join('\n')).toMatch(/refused 1 points .*rejected\.lp/);
  });

  it('starts without a server and says where it buffers when there is none', async () => {
    const log: string[] = [];
    const { output, dir } = makeOutput(
      'nowhere',
      new Timebase('virtual', 0),
      {
        addr: 'http://127.0.0.1:9',
        pushIntervalMs: 50,
        stopTimeoutMs: 200,
      },
      log,
    );
    await output.start();
    output.addSamples([{ measurement: 'meter_round', tags: { run: 'x' }, fields: { counter: 1 }, time: 0 }]);
    await output.stop();
    expect(output.report()).toMatchObject({ written: 0, outages: 1, remaining: { points: 1, dir: join(dir, 'influxdb-spill') } });
    expect(log[0]).toMatch(
      /cannot write to http:\/\/127\.0\.0\.1:9\/nowhere \(.*ECONNREFUSED.*\); buffering up to 50000 points in memory, then in .*influxdb-spill/,
    );
    expect(log.at(-1)).toMatch(
      /1 points could not be written .* they are in .*influxdb-spill\/spill-\*\.lp\. Load them later with: npx tsx bench\/metrics\/replay\.ts/,
    );
  });
});
