import { describe, expect, it } from 'vitest';
import { encodeLine, encodeLines, parseLine, parseLines } from '../../bench/metrics/line-protocol';
import { cleanSample, PointMaker, type Point } from '../../bench/metrics/point';
import { Timebase } from '../../bench/metrics/timebase';
import type { Sample } from '../../core/metrics';

const point = (over: Partial<Point> = {}): Point => ({
  measurement: 'frame_rejected',
  tags: { dc: 'dc1', reason: 'bad signature' },
  fields: { count: 1, from: 'tn1.001' },
  timeUs: 1_700_000_000_123_456,
  ...over,
});

describe('line protocol', () => {
  it('escapes measurement, tag and field names and string values as InfluxDB 1.x expects', () => {
    const line = encodeLine(point({ tags: { 'a b': 'x,y=z' }, fields: { 'f=1': 'say "hi" \\ ok', n: 2.5, ok: true } }));
    expect(line).toBe('frame_rejected,a\\ b=x\\,y\\=z f\\=1="say \\"hi\\" \\\\ ok",n=2.5,ok=true 1700000000123456');
  });

  it('reads back exactly what it wrote, for awkward values', () => {
    const points = [
      point(),
      point({ tags: { segment: 'plc:dc1', 'k,=': 'v, =' }, fields: { error: 'a\\"b', value: -0.000125, up: false } }),
      point({ fields: { big: 1e21, small: 5e-7, neg: -3 } }),
      point({ fields: { s: '' } }),
    ];
    expect(parseLines(encodeLines(points))).toEqual(points);
  });

  it('skips comments and blank lines, and names file and line of a malformed one', () => {
    expect(parseLines('# header\n\nm f=1 5\n')).toEqual([{ measurement: 'm', tags: {}, fields: { f: 1 }, timeUs: 5 }]);
    expect(() => parseLines('# h\nm f=1 5\nm,t f=1 6\n', 'spill-000001.lp')).toThrow(/spill-000001\.lp:3: tag "t" has no value/);
    expect(() => parseLine('m f=abc 1', 'x.lp:1')).toThrow(/x\.lp:1: field "f".*"abc"/);
    expect(() => parseLine('m f="open 1', 'x.lp:1')).toThrow(/unterminated string/);
    expect(() => parseLine('m f=1', 'x.lp:1')).toThrow(/timestamp/);
  });

  it('reads integer and boolean fields written by other tools', () => {
    expect(parseLine('m,a=b i=42i,t=T,f=false 7').fields).toEqual({ i: 42, t: true, f: false });
  });
});

describe('PointMaker', () => {
  const sample = (time: number, over: Partial<Sample> = {}): Sample => ({
    measurement: 'meter_round',
    tags: { run: 'r1', mode: 'lean' },
    fields: { counter: 1 },
    time,
    ...over,
  });

  it('places virtual-clock samples after the run start and keeps real-clock samples as they are', () => {
    const start = Date.UTC(2025, 0, 1);
    expect(new PointMaker(new Timebase('virtual', start)).point(sample(1.5))!.timeUs).toBe(start * 1000 + 1500);
    expect(new PointMaker(new Timebase('real', start)).point(sample(start + 2))!.timeUs).toBe(start * 1000 + 2000);
    expect(Timebase.of({ kind: 'virtual' }, start).info()).toEqual({
      clock: 'virtual',
      startEpochMs: start,
      startIso: '2025-01-01T00:00:00.000Z',
    });
  });

  it('gives samples of one series at one instant distinct timestamps, so InfluxDB keeps all of them', () => {
    const maker = new PointMaker(new Timebase('virtual', 1000));
    const times = [0, 0, 0, 0.001, 5].map((t) => maker.point(sample(t))!.timeUs);
    expect(times).toEqual([1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_005_000]);
    // another series at the same instant is not moved
    expect(maker.point(sample(0, { tags: { run: 'r2' } }))!.timeUs).toBe(1_000_000);
    // an out-of-order sample well in the past keeps its time
    expect(maker.point(sample(1))!.timeUs).toBe(1_001_000);
  });

  it('drops what line protocol cannot carry instead of failing the write', () => {
    const clean = cleanSample(
      sample(0, {
        tags: { run: 'r1', empty: '', 'line\nbreak': 'a\\b\nc' },
        fields: { nan: NaN, inf: Infinity, text: 'two\nlines', n: 1, time: 3 },
      }),
    );
    expect(clean).toEqual({ tags: { 'line break': 'a/b c', run: 'r1' }, fields: { text: 'two lines', n: 1 } });
    const maker = new PointMaker(new Timebase('virtual', 0));
    expect(maker.point(sample(0, { fields: { nan: NaN } }))).toBeUndefined();
    expect(maker.point(sample(NaN))).toBeUndefined();
    expect(maker.invalid).toBe(2);
  });
});
