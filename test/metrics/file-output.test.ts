import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLines } from '../../bench/metrics/line-protocol';
import { LineProtocolFileOutput } from '../../bench/metrics/line-protocol-file-output';
import { MetricsOutputs } from '../../bench/metrics/metrics-outputs';
import { Timebase } from '../../bench/metrics/timebase';
import { createMetrics, type MetricsOutput } from '../../core/metrics';
import { VirtualClock } from '../../core/clock';
import { describeOutputCompliance } from './output-compliance';

describeOutputCompliance('LineProtocolFileOutput', async (timebase) => {
  const dir = mkdtempSync(join(tmpdir(), 'gridbench-lp-'));
  const path = join(dir, 'run', 'metrics.lp');
  return {
    output: new LineProtocolFileOutput({ path, timebase }),
    readBack: async () => parseLines(readFileSync(path, 'utf8'), path),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('LineProtocolFileOutput', () => {
  it('says in the file which clock the run used and where virtual time 0 was placed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-lp-'));
    try {
      const path = join(dir, 'metrics.lp');
      const output = new LineProtocolFileOutput({
        path,
        timebase: new Timebase('virtual', Date.UTC(2025, 0, 2)),
        header: { run: 'r-42', scenario: 'default' },
      });
      await output.start();
      await output.stop();
      expect(readFileSync(path, 'utf8').split('\n').slice(0, 4)).toEqual([
        '# gridbench metrics: InfluxDB line protocol, timestamps in epoch microseconds (precision=u)',
        '# clock=virtual start=2025-01-02T00:00:00.000Z (virtual time 0 is placed at start)',
        '# run=r-42',
        '# scenario=default',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects start() with the path when the file cannot be created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-lp-'));
    try {
      writeFileSync(join(dir, 'not-a-dir'), '');
      const path = join(dir, 'not-a-dir', 'metrics.lp');
      const output = new LineProtocolFileOutput({ path, timebase: new Timebase('real', 0) });
      await expect(output.start()).rejects.toThrow(`metrics file ${path}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MetricsOutputs', () => {
  it('feeds every output from a Metrics hook and stops all of them even when one fails', async () => {
    const got: string[] = [];
    const good: MetricsOutput = {
      start: async () => {},
      addSamples: (s) => got.push(...s.map((x) => x.measurement)),
      stop: async () => {},
    };
    const bad: MetricsOutput = {
      start: async () => {},
      addSamples: () => {
        throw new Error('broken');
      },
      stop: async () => {
        throw new Error('bad output could not stop');
      },
    };
    let goodStopped = false;
    const outputs = new MetricsOutputs([bad, { ...good, stop: async () => void (goodStopped = true) }]);
    await outputs.start();
    const metrics = createMetrics(new VirtualClock(), outputs.sink, { run: 'r' });
    metrics.emit('meter_round', { counter: 1 });
    await expect(outputs.stop()).rejects.toThrow('bad output could not stop');
    expect(got).toEqual(['meter_round']);
    expect(outputs.addErrors).toBe(1);
    expect(goodStopped).toBe(true);
  });
});
