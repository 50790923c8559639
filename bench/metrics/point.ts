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

function cleanTags(sampleTags: Sample['tags']): Readonly<Record<string, string>> {
  const tags: Record<string, string> = {};
  for (const key of Object.keys(sampleTags).sort()) {
    const value = sampleTags[key];
    if (key === '' || key === 'time' || typeof value !== 'string' || value === '') continue;
    tags[cleanTag(key)] = cleanTag(value);
  }
  return tags;
}

/** Tags and fields a point keeps, or undefined when no field is writable. */
export function cleanSample(sample: Sample, tags = cleanTags(sample.tags)): Pick<Point, 'tags' | 'fields'> | undefined {
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
/** Distinct tag sets a PointMaker remembers cleaned (beyond that it starts again): one per series. */
const TAG_SETS = 100_000;

export class PointMaker {
  private readonly lastUs = new Map<string, number>();
  /**
   * Cleaned tags and series key by the sample's measurement and tags as emitted: a run repeats a
   * few thousand tag sets millions of times, and cleaning (sorting, escaping) was most of the
   * cost of a point. Points of one tag set share its tags object (./line-protocol.ts remembers
   * its encoding by it).
   */
  private readonly tagSets = new Map<string, { readonly tags: Readonly<Record<string, string>>; readonly key: string }>();
  /** Samples that had no writable field. */
  invalid = 0;

  constructor(private readonly timebase: Timebase) {}

  /** The point of a sample, or undefined (counted in `invalid`) when nothing of it can be written. Never throws. */
  point(sample: Sample): Point | undefined {
    let clean: ReturnType<typeof cleanSample>;
    let key = '';
    try {
      const set = this.tagSet(sample);
      clean = cleanSample(sample, set.tags);
      key = set.key;
    } catch {
      clean = undefined; // not even shaped like a sample
    }
    if (!clean || typeof sample.time !== 'number' || !Number.isFinite(sample.time)) {
      this.invalid++;
      return undefined;
    }
    let timeUs = Math.round(this.timebase.toEpochMs(sample.time) * 1000);
    const last = this.lastUs.get(key);
    if (last !== undefined && timeUs <= last && last - timeUs < 1000) timeUs = last + 1;
    if (last === undefined || timeUs > last) this.lastUs.set(key, timeUs);
    return { measurement: sample.measurement, tags: clean.tags, fields: clean.fields, timeUs };
  }

  private tagSet(sample: Sample): { readonly tags: Readonly<Record<string, string>>; readonly key: string } {
    let raw = `${sample.measurement}\u0000`;
    for (const name in sample.tags) {
      const value = sample.tags[name];
      // only strings make a tag; anything else is cleaned away each time (and never cached)
      if (typeof value !== 'string') return this.cleaned(sample);
      raw += `${name}\u0001${value}\u0002`;
    }
    let set = this.tagSets.get(raw);
    if (!set) {
      if (this.tagSets.size >= TAG_SETS) this.tagSets.clear();
      set = this.cleaned(sample);
      this.tagSets.set(raw, set);
    }
    return set;
  }

  private cleaned(sample: Sample): { readonly tags: Readonly<Record<string, string>>; readonly key: string } {
    const tags = cleanTags(sample.tags);
    return { tags, key: seriesKey(sample.measurement, tags) };
  }
}
