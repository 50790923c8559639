/**
 * The dashboard after a real-clock run (seconds long: both modes, a board reset, a power
 * restoration, a campaign): opened as it comes when the run ended, every panel and annotation
 * has data, and the printed link spans every point of the run. Real-clock samples are placed
 * where they happened.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../bench/runner/run';
import { startInfluxd, type InfluxServer } from '../setup/influxdb';
import { realClockRun } from './bench-run';
import { expectDefaultRangeShowsRun, expectLinkOpensRun, pointSpan } from './default-range';

const DB = 'gridbench';
let server: InfluxServer;
let resultsRoot: string;
let run: RunResult;
let startedAt: number;

beforeAll(async () => {
  server = await startInfluxd();
  resultsRoot = mkdtempSync(join(tmpdir(), 'gridbench-dashboards-real-'));
  startedAt = Date.now();
  run = await realClockRun(server.url, DB, resultsRoot);
}, 300_000);

afterAll(async () => {
  await server?.dispose();
  if (resultsRoot) rmSync(resultsRoot, { recursive: true, force: true });
});

describe('after a short real-clock bench run streamed into InfluxDB', () => {
  it('placed its samples where they happened, and says so', async () => {
    const { placement } = run.summary;
    expect(placement).toMatchObject({ clock: 'real', placement: 'wall-clock' });
    const { first, last } = await pointSpan(server, DB, run.runId);
    expect(first).toBeGreaterThanOrEqual(startedAt);
    expect(last).toBeLessThanOrEqual(placement.toMs);
    expect(readFileSync(join(run.runDir, 'metrics.lp'), 'utf8').split('\n')[1]).toBe(`# clock=real start=${placement.from}`);
  });

  it('every panel and annotation query returns data in the default range (now-15m to now) at the moment the run ended', async () => {
    await expectDefaultRangeShowsRun(server, DB, run);
  });

  it('the printed link opens exactly this run: its run id, from its first point to its last', async () => {
    await expectLinkOpensRun(server, DB, run);
  });
});
