/**
 * Where a virtual-clock run lands in time: its timeline ends when the run ended, so all of it is
 * in the past then (a 48-hour run spans the 48 hours before), and its samples wait, in memory or
 * on disk, until that is known, then reach every output in the order they came.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/metrics';
import { HeldSamples } from '../../bench/metrics/held-samples';
import { LineProtocolFileOutput } from '../../bench/metrics/line-protocol-file-output';
import { PointMaker } from '../../bench/metrics/point';
import { Timebase } from '../../bench/metrics/timebase';

const HOUR = 3_600_000;
const END = Date.UTC(2026, 11, 4, 12, 0, 0);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gridbench-placement-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sample = (time: number, counter = time): Sample => ({ measurement: 'meter_round', tags: { run: 'r' }, fields: { counter }, time });

describe('a virtual-clock run placed at its end', () => {
  it('puts a 48-hour run in the 48 hours before it ended: its last sample at the end, virtual time 0 48 h earlier', () => {
    const timebase = Timebase.atRunEnd();
    expect(timebase.placed).toBe(false);
    expect(() => timebase.toEpochMs(0)).toThrow(/not placed yet/);
    timebase.placeEnd(48 * HOUR, END);
    expect(timebase.toEpochMs(48 * HOUR)).toBe(END);
    expect(timebase.toEpochMs(0)).toBe(END - 48 * HOUR);
    expect(timebase.info()).toEqual({
      clock: 'virtual',
      startEpochMs: END - 48 * HOUR,
      startIso: '2026-12-02T12:00:00.000Z',
      endEpochMs: END,
      endIso: '2026-12-04T12:00:00.000Z',
    });
    expect(new PointMaker(timebase).point(sample(48 * HOUR))!.timeUs).toBe(END * 1000);
    expect(() => timebase.placeEnd(1, END)).toThrow(/already placed/);
  });

  it('says which placement metrics.lp has in its header', async () => {
    const dir = tempDir();
    const timebase = Timebase.atRunEnd();
    const output = new LineProtocolFileOutput({ path: join(dir, 'metrics.lp'), timebase });
    await output.start();
    timebase.placeEnd(60_000, END);
    output.addSamples([sample(0), sample(60_000)]);
    await output.stop();
    const lines = readFileSync(join(dir, 'metrics.lp'), 'utf8').trim().split('\n');
    expect(lines[1]).toBe(
      '# clock=virtual start=2026-12-04T11:59:00.000Z placement=run-end (virtual time 0 is placed at start, ' +
        "so that the run's last sample is at 2026-12-04T12:00:00.000Z, when the run ended)",
    );
    expect(lines.slice(2).map((l) => Number(l.split(' ').at(-1)))).toEqual([(END - 60_000) * 1000, END * 1000]);
    expect(new Timebase('real', END).describe()).toBe('clock=real start=2026-12-04T12:00:00.000Z');
  });
});

describe('HeldSamples', () => {
  it('keeps samples until release, then hands all of them over in order, from disk beyond its memory bound', async () => {
    const dir = tempDir();
    const held = new HeldSamples(dir, 4);
    for (let i = 0; i < 11; i++) held.add(sample(i * 10));
    expect(held.count).toBe(11);
    expect(existsSync(held.file)).toBe(true); // 8 of them went to disk
    expect([held.first, held.last]).toEqual([0, 100]);
    const got: Sample[] = [];
    await held.release((batch) => got.push(...batch));
    expect(got.map((s) => s.fields.counter)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(got[0]).toEqual(sample(0));
    expect(existsSync(held.file)).toBe(false);
    expect(() => held.add(sample(1))).toThrow(/after release/);
  });

  it('keeps them in memory when the directory cannot be written, and says why', async () => {
    const notADir = join(tempDir(), 'a-file');
    writeFileSync(notADir, '');
    const held = new HeldSamples(join(notADir, 'held'), 2);
    for (let i = 0; i < 5; i++) held.add(sample(i));
    expect(held.error).toContain(`cannot hold samples in ${join(notADir, 'held')}`);
    const got: Sample[] = [];
    await held.release((batch) => got.push(...batch));
    expect(got.map((s) => s.time)).toEqual([0, 1, 2, 3, 4]);
  });
});
