/**
 * Checks that an InfluxQL query only names measurements, tags and fields declared in
 * core/measurements.ts: a panel querying a name nothing emits would stay empty
 * forever. Works on the query text as stored in the dashboard JSON (before expansion).
 */
import { MEASUREMENTS, RUN_TAGS, type MeasurementName } from '../core/measurements';

const KEYWORDS = new Set(
  [
    'select',
    'from',
    'where',
    'and',
    'or',
    'group',
    'by',
    'fill',
    'none',
    'null',
    'previous',
    'linear',
    'as',
    'show',
    'tag',
    'values',
    'with',
    'key',
    'limit',
    'slimit',
    'offset',
    'order',
    'desc',
    'asc',
    'time',
    'tz',
    'true',
    'false',
    'in',
    'measurements',
    'keys',
    'field',
    // functions
    'mean',
    'median',
    'max',
    'min',
    'sum',
    'count',
    'last',
    'first',
    'spread',
    'stddev',
    'percentile',
    'distinct',
    'derivative',
    'non_negative_derivative',
    'difference',
    'non_negative_difference',
    'moving_average',
    'cumulative_sum',
    'integral',
    'elapsed',
    'mode',
    'top',
    'bottom',
    'abs',
    'ceil',
    'floor',
    'round',
  ].map((k) => k.toLowerCase()),
);

type Token = { kind: 'quoted' | 'word' | 'other'; text: string };

function tokens(query: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i]!;
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < query.length && query[j] !== '"') {
        if (query[j] === '\\') j++;
        text += query[j] ?? '';
        j++;
      }
      out.push({ kind: 'quoted', text });
      i = j + 1;
    } else if (c === "'") {
      let j = i + 1;
      while (j < query.length && query[j] !== "'") j += query[j] === '\\' ? 2 : 1;
      out.push({ kind: 'other', text: 'string' });
      i = j + 1;
    } else if (c === '/' && /[=!]~\s*$/.test(query.slice(0, i))) {
      let j = i + 1;
      while (j < query.length && query[j] !== '/') j += query[j] === '\\' ? 2 : 1;
      out.push({ kind: 'other', text: 'regex' });
      i = j + 1;
    } else if (c === '$') {
      const m = /^\$(\{[^}]*\}|\w+)/.exec(query.slice(i));
      out.push({ kind: 'other', text: m?.[0] ?? '$' });
      i += m?.[0].length ?? 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i))!;
      out.push({ kind: 'word', text: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9.]+[a-z]*/.exec(query.slice(i))!; // numbers and durations (10s, 5m)
      out.push({ kind: 'other', text: m[0] });
      i += m[0].length;
    } else {
      if (!/\s/.test(c)) out.push({ kind: 'other', text: c });
      i++;
    }
  }
  return out;
}

const isName = (t: Token | undefined) =>
  t !== undefined && (t.kind === 'quoted' || (t.kind === 'word' && !KEYWORDS.has(t.text.toLowerCase())));

const ALL_TAGS = new Set<string>([...RUN_TAGS, ...Object.values(MEASUREMENTS).flatMap((m) => [...m.tags])]);

/** Names in `query` the schema does not declare, each with why; empty when the query is clean. */
export function schemaViolations(query: string): string[] {
  const ts = tokens(query);
  const problems: string[] = [];
  const fromAt = ts.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'from');
  let measurement: MeasurementName | undefined;
  if (fromAt >= 0) {
    const name = ts[fromAt + 1];
    if (!name || !isName(name)) problems.push('FROM is not followed by a measurement name');
    else if (!Object.hasOwn(MEASUREMENTS, name.text)) problems.push(`measurement "${name.text}" is not declared in measurements.ts`);
    else measurement = name.text as MeasurementName;
    if (!measurement) return problems;
  }
  const known = measurement
    ? new Set<string>([...RUN_TAGS, ...MEASUREMENTS[measurement].tags, ...Object.keys(MEASUREMENTS[measurement].fields)])
    : ALL_TAGS;
  const where = measurement ? `measurement "${measurement}"` : 'any measurement';
  ts.forEach((t, i) => {
    if (i === fromAt + 1 && fromAt >= 0) return;
    if (!isName(t)) return;
    const before = ts[i - 1];
    if (before?.kind === 'word' && before.text.toLowerCase() === 'as') return; // an alias
    if (!known.has(t.text)) problems.push(`"${t.text}" is not a tag or field of ${where} in measurements.ts`);
  });
  return problems;
}
