/**
 * The compliance suite every MetricsOutput runs (STYLE: one suite per interface): what a node
 * emits comes out of the output as the same point, with epoch time, whatever the clock; odd
 * values never make addSamples throw; stop() delivers everything added before it.
 */
import { describe, expect, it } from 'vitest';
import { PointMaker, type Point } from '../../bench/metrics/point';
import { Timebase } from '../../bench/metrics/timebase';
import type { MetricsOutput, Sample } from '../../core/metrics';

export interface OutputUnderTest {
  readonly output: MetricsOutput;
  /** Every point the output delivered (after stop). */
  readBack(): Promise<Point[]>;
  dispose(): Promise<void>;
}

export type OutputFactory = (timebase: Timebase, name: string) => Promise<OutputUnderTest>;

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Samples as nodes emit them: a broadcast landing on many TNs at one instant, repeated series, odd values. */
export function nodeLikeSamples(run: string, count: number, clockStart: number): Sample[] {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const tn = `tn1.${String(i % 7).padStart(3, '0')}`;
    const time = clockStart + Math.floor(i / 20) * 0.5;
    if (i % 3 === 0)
      samples.push({
        measurement: 'automation_latency',
        tags: { run, mode: 'lean', scenario: 'compliance', segment: 'plc:dc1', dc: 'dc1', tn, board: 'virtual' },
        fields: { latency_ms: 12.5 + (i % 11), counter: i },
        time,
      });
    else if (i % 3 === 1)
      samples.push({
        measurement: 'frame_rejected',
        tags: { run, mode: 'lean', scenario: 'compliance', role: 'tn', class: 'automation', reason: 'stale counter', tn },
        fields: { count: 1, from: `dc1 "forged", \\ x=1` },
        time,
      });
    else
      samples.push({
        measurement: 'board',
        tags: { run, mode: 'lean', scenario: 'compliance', tn, board: 'virtual', status: i % 2 ? 'attached' : 'failed' },
        fields: { up: i % 2, port: 'virtual:1', error: i % 2 ? '' : 'serial port closed\nat line 1' },
        time,
      });
  }
  return samples;
}

const HOSTILE: Sample[] = [
  { measurement: 'board', tags: { run: 'x', tn: '' }, fields: { up: NaN }, time: 1 },
  { measurement: 'board', tags: {}, fields: {}, time: 2 },
  { measurement: 'board', tags: { run: 'x' }, fields: { up: 1 }, time: NaN },
  { measurement: 'board', tags: { run: 'x' }, fields: { error: 'x'.repeat(100_000) }, time: 3 },
  null as unknown as Sample,
];

function expectedPoints(timebase: Timebase, samples: readonly Sample[]): Point[] {
  const maker = new PointMaker(timebase);
  return samples.flatMap((s) => {
    const p = maker.point(s);
    return p ? [p] : [];
  });
}

const byTime = (a: Point, b: Point) =>
  a.timeUs - b.timeUs || a.measurement.localeCompare(b.measurement) || JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags));

export function describeOutputCompliance(name: string, make: OutputFactory): void {
  describe(`${name}: MetricsOutput compliance`, () => {
    it.each(['virtual', 'real'] as const)('delivers every sample of a %s-clock run as a point with epoch time', async (clock) => {
      const timebase = new Timebase(clock, START);
      const subject = await make(timebase, `compliance-${clock}`);
      try {
        await subject.output.start();
        const samples = nodeLikeSamples(`compliance-${clock}`, 3000, clock === 'virtual' ? 0 : START);
        for (let i = 0; i < samples.length; i += 250) subject.output.addSamples(samples.slice(i, i + 250));
        await subject.output.stop();
        const got = (await subject.readBack()).sort(byTime);
        const want = expectedPoints(timebase, samples).sort(byTime);
        expect(got.length).toBe(samples.length);
        expect(got).toEqual(want);
        expect(Math.min(...got.map((p) => p.timeUs))).toBe(START * 1000);
      } finally {
        await subject.dispose();
      }
    });

    it('never throws from addSamples, returns quickly, and ignores samples after stop', async () => {
      const timebase = new Timebase('virtual', START);
      const subject = await make(timebase, 'compliance-hostile');
      try {
        subject.output.addSamples(nodeLikeSamples('compliance-hostile', 10, 0)); // before start
        await subject.output.start();
        let slowest = 0;
        for (let i = 0; i < 20; i++) {
          const began = performance.now();
          expect(() => subject.output.addSamples(HOSTILE)).not.toThrow();
          expect(() => subject.output.addSamples(nodeLikeSamples('compliance-hostile', 1000, 100 + i * 30))).not.toThrow();
          slowest = Math.max(slowest, performance.now() - began);
        }
        // Encoding 1000 samples in memory: far below anything a disk or network write would cost
        // on a loaded machine.
        expect(slowest).toBeLessThan(500);
        await subject.output.stop();
        expect(() => subject.output.addSamples(nodeLikeSamples('compliance-hostile', 5, 0))).not.toThrow();
        const got = await subject.readBack();
        // 10 before start, 20 x 1000, and from HOSTILE only the long string (truncated)
        expect(got.length).toBe(10 + 20 * 1000 + 20);
        const long = got.find((p) => typeof p.fields.error === 'string' && p.fields.error.length > 1000);
        expect(long?.fields.error).toHaveLength(16 * 1024);
      } finally {
        await subject.dispose();
      }
    });
  });
}
