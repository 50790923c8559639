import type { FieldValue, Sample } from '../../core/metrics';
import type { Timebase } from './timebase';

/**
 * A sample ready for InfluxDB: epoch time in integer microseconds, tags and fields cleaned so
 * that every output writes the same valid point and none can make a write fail.
 */
export interface Point {
  readonly measurement: string;
  /** Sorted by key (InfluxDB's preferred order), no empty keys or values. */
  readonly tags: Readonly<Record<string, string>>;
  /** At least one field; numbers are finite. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Epoch microseconds (integer; exact in a double until the year 2255). */
  readonly timeUs: number;
}

/** Line protocol has no escape for a line break, and InfluxDB rejects string fields over 64 KiB. */
const MAX_STRING_FIELD = 16 * 1024;
const lineBreaks = /[\r\n]+/g;

function cleanTag(value: string): string {
  // InfluxDB only unescapes "\," "\=" "\ " in tags, so a literal backslash could swallow the
  // separator after it; ids never contain one.
  return value.replace(lineBreaks, ' ').replace(/\\/g, '/');
}

function cleanString(value: string): string {
  const flat = value.replace(lineBreaks, ' ');
  return flat.length > MAX_STRING_FIELD ? flat.slice(0, MAX_STRING_FIELD) : flat;
}

/** Tags and fields a point keeps, or undefined when no field is writable. */
export function cleanSample(sample: Sample): Pick<Point, 'tags' | 'fields'> | undefined {
  const tags: Record<string, string> = {};
  for (const key of Object.keys(sample.tags).sort()) {
    const value = sample.tags[key];
    if (key === '' || key === 'time' || typeof value !== 'string' || value === '') continue;
    tags[cleanTag(key)] = cleanTag(value);
  }
  const fields: Record<string, FieldValue> = {};
  let count = 0;
  for (const key of Object.keys(sample.fields)) {
    const value = sample.fields[key];
    if (key === '' || key === 'time') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) continue;
      fields[cleanTag(key)] = value;
    } else if (typeof value === 'boolean') {
      fields[cleanTag(key)] = value;
    } else if (typeof value === 'string') {
      fields[cleanTag(key)] = cleanString(value);
    } else {
      continue;
    }
    count++;
  }
  return count > 0 ? { tags, fields } : undefined;
}

export function seriesKey(measurement: string, tags: Readonly<Record<string, string>>): string {
  let key = measurement;
  for (const name in tags) key += `,${name}=${tags[name]}`;
  return key;
}

/**
 * Turns samples into points. InfluxDB keeps one point per series and timestamp, so two samples
 * of one series in the same microsecond (common on a virtual clock, where a whole broadcast
 * lands at one instant) would overwrite each other: the later one is moved 1 us forward. A
 * sample older than the series' last point by more than a millisecond (out of order, from
 * another emitter) keeps its time. The same samples in the same order always give the same
 * points, so every output writes identical timestamps, and re-writing a point after a timeout
 * is harmless.
 */
export class PointMaker {
  private readonly lastUs = new Map<string, number>();
  /** Samples that had no writable field. */
  invalid = 0;

  constructor(private readonly timebase: Timebase) {}

  /** The point of a sample, or undefined (counted in `invalid`) when nothing of it can be written. Never throws. */
  point(sample: Sample): Point | undefined {
    let clean: ReturnType<typeof cleanSample>;
    try {
      clean = cleanSample(sample);
    } catch {
      clean = undefined; // not even shaped like a sample
    }
    if (!clean || typeof sample.time !== 'number' || !Number.isFinite(sample.time)) {
      this.invalid++;
      return undefined;
    }
    const key = seriesKey(sample.measurement, clean.tags);
    let timeUs = Math.round(this.timebase.toEpochMs(sample.time) * 1000);
    const last = this.lastUs.get(key);
    if (last !== undefined && timeUs <= last && last - timeUs < 1000) timeUs = last + 1;
    if (last === undefined || timeUs > last) this.lastUs.set(key, timeUs);
    return { measurement: sample.measurement, tags: clean.tags, fields: clean.fields, timeUs };
  }
}
