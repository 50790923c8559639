import type { FieldValue } from '../../core/metrics';
import type { Point } from './point';

/**
 * InfluxDB line protocol for points, at microsecond precision: what metrics.lp and the spill
 * files hold, and what `curl --data-binary @FILE 'http://HOST:8086/write?db=DB&precision=u'`
 * loads. parseLine reads back exactly what encodeLine wrote (and plain InfluxDB 1.x lines with
 * float, integer, boolean and string fields).
 */
export const LINE_PRECISION = 'u';

const escapeMeasurement = (s: string) => s.replace(/[, ]/g, '\\$&');
const escapeKey = (s: string) => s.replace(/[,= ]/g, '\\$&');
const quoteString = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;

function encodeField(value: FieldValue): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return quoteString(value);
}

/**
 * A line's measurement and tags by its tags object: PointMaker hands every point of one tag set
 * the same object, so a series' head is escaped once (the cache goes with the object).
 */
const heads = new WeakMap<object, { readonly measurement: string; readonly head: string }>();
/** Field names escaped: a run has a few dozen. */
const fieldNames = new Map<string, string>();

function headOf(point: Point): string {
  const known = heads.get(point.tags);
  if (known && known.measurement === point.measurement) return known.head;
  let head = escapeMeasurement(point.measurement);
  for (const key in point.tags) head += `,${escapeKey(key)}=${escapeKey(point.tags[key]!)}`;
  heads.set(point.tags, { measurement: point.measurement, head });
  return head;
}

function fieldName(key: string): string {
  let name = fieldNames.get(key);
  if (name === undefined) {
    name = escapeKey(key);
    if (fieldNames.size < 10_000) fieldNames.set(key, name);
  }
  return name;
}

export function encodeLine(point: Point): string {
  let line = headOf(point);
  let sep = ' ';
  for (const key in point.fields) {
    line += `${sep}${fieldName(key)}=${encodeField(point.fields[key]!)}`;
    sep = ',';
  }
  return `${line} ${point.timeUs}`;
}

/** Lines for many points, newline-terminated. */
export function encodeLines(points: readonly Point[]): string {
  let text = '';
  for (const p of points) text += encodeLine(p) + '\n';
  return text;
}

/** Reads up to an unescaped stop character; returns the unescaped text and where it stopped. */
function readToken(line: string, start: number, stops: string): [string, number] {
  let out = '';
  let i = start;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length && (stops.includes(line[i + 1]!) || line[i + 1] === '=')) {
      out += line[i + 1];
      i += 2;
      continue;
    }
    if (stops.includes(c)) break;
    out += c;
    i++;
  }
  return [out, i];
}

function parseFieldValue(raw: string, where: string): FieldValue {
  if (raw === 't' || raw === 'T' || raw === 'true' || raw === 'True' || raw === 'TRUE') return true;
  if (raw === 'f' || raw === 'F' || raw === 'false' || raw === 'False' || raw === 'FALSE') return false;
  const number = /[iu]$/.test(raw) ? raw.slice(0, -1) : raw;
  const value = Number(number);
  if (number === '' || !Number.isFinite(value)) throw new Error(`${where}: field value "${raw}" is not a number, boolean or string`);
  return value;
}

/** Parses one line; throws an error naming `where` (file:line) on a malformed line. */
export function parseLine(line: string, where = 'line'): Point {
  const [measurement, afterName] = readToken(line, 0, ', ');
  if (!measurement) throw new Error(`${where}: missing measurement`);
  const tags: Record<string, string> = {};
  let i = afterName;
  while (line[i] === ',') {
    const [key, afterKey] = readToken(line, i + 1, ',= ');
    if (line[afterKey] !== '=') throw new Error(`${where}: tag "${key}" has no value`);
    const [value, afterValue] = readToken(line, afterKey + 1, ', ');
    tags[key] = value;
    i = afterValue;
  }
  if (line[i] !== ' ') throw new Error(`${where}: expected a space before the fields`);
  const fields: Record<string, FieldValue> = {};
  i++;
  for (;;) {
    const [key, afterKey] = readToken(line, i, ',= ');
    if (!key || line[afterKey] !== '=') throw new Error(`${where}: malformed field near column ${i + 1}`);
    i = afterKey + 1;
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        value += line[i];
        i++;
      }
      if (line[i] !== '"') throw new Error(`${where}: unterminated string in field "${key}"`);
      fields[key] = value;
      i++;
    } else {
      let end = i;
      while (end < line.length && line[end] !== ',' && line[end] !== ' ') end++;
      fields[key] = parseFieldValue(line.slice(i, end), `${where}: field "${key}"`);
      i = end;
    }
    if (line[i] === ',') {
      i++;
      continue;
    }
    break;
  }
  const rest = line.slice(i).trim();
  if (!/^\d+$/.test(rest)) throw new Error(`${where}: expected a timestamp in microseconds, got "${rest}"`);
  return { measurement, tags, fields, timeUs: Number(rest) };
}

/** Points of a line-protocol text; comment lines (#) and blank lines are skipped. */
export function parseLines(text: string, source = 'line protocol'): Point[] {
  const points: Point[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trimEnd();
    if (line === '' || line.startsWith('#')) continue;
    points.push(parseLine(line, `${source}:${n + 1}`));
  }
  return points;
}
