/**
 * What Grafana does to a raw InfluxQL query before sending it to InfluxDB: the time filter,
 * the interval macros and the template variables, formatted and escaped as the InfluxDB data
 * source does (multi-value and all-value variables become a regex alternation, a value used
 * inside /.../ is regex-escaped, a custom all value is used as it is).
 */
export interface TimeRange {
  /** Epoch ms */
  readonly from: number;
  readonly to: number;
}

export interface VariableState {
  /** The selected value(s); ALL for the All option. */
  readonly value: string | readonly string[];
  readonly multi: boolean;
  readonly includeAll: boolean;
  readonly allValue?: string;
  /** Every option, which All expands to when there is no custom all value. */
  readonly options: readonly string[];
}

export const ALL = '$__all';

/** Grafana's interval rounding (rangeutil.roundInterval). */
const ROUNDED_STEPS: readonly [below: number, step: number][] = [
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1500, 1000],
  [3500, 2000],
  [7500, 5000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];

export function roundInterval(ms: number): number {
  for (const [below, step] of ROUNDED_STEPS) if (ms < below) return step;
  return 31_536_000_000;
}

/** An interval as InfluxQL writes durations: 200ms, 1s, 5m, 1h, 1d. */
export function durationText(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * $__interval for a panel: the range over the points the panel can draw, rounded, and never
 * below the data source's minimum interval (provisioned as timeInterval).
 */
export function grafanaInterval(range: TimeRange, maxDataPoints: number, minIntervalMs: number): number {
  const raw = roundInterval((range.to - range.from) / maxDataPoints);
  return Math.max(raw, minIntervalMs);
}

/** Grafana's escapeRegex (@grafana/data). */
export const escapeRegex = (value: string): string => value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

/** Spans of regex literals (after =~ or !~) in a query. */
function regexSpans(query: string): [number, number][] {
  const spans: [number, number][] = [];
  const opener = /[=!]~\s*\//g;
  for (let m = opener.exec(query); m; m = opener.exec(query)) {
    const start = m.index + m[0].length;
    let i = start;
    while (i < query.length && query[i] !== '/') i += query[i] === '\\' ? 2 : 1;
    spans.push([start, i]);
    opener.lastIndex = i + 1;
  }
  return spans;
}

function formatVariable(state: VariableState, inRegex: boolean): string {
  let values: readonly string[];
  if (state.value === ALL || (Array.isArray(state.value) && state.value.includes(ALL))) {
    if (state.allValue !== undefined) return state.allValue;
    values = state.options;
  } else {
    values = typeof state.value === 'string' ? [state.value] : state.value;
  }
  if (state.multi || state.includeAll || values.length > 1) {
    const escaped = values.map(escapeRegex);
    return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
  }
  const single = values[0] ?? '';
  return inRegex ? escapeRegex(single) : single;
}

// Grafana's variable syntax: $name, [[name]], ${name} and ${name:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::[^}]+)?\}/g;

export interface ExpandContext {
  readonly range: TimeRange;
  readonly intervalMs: number;
  readonly variables: Readonly<Record<string, VariableState>>;
}

/** The query InfluxDB receives. Unknown variables stay as written, as Grafana leaves them. */
export function expandQuery(query: string, context: ExpandContext): string {
  const { range, intervalMs, variables } = context;
  const builtins: Record<string, string> = {
    timeFilter: `time >= ${Math.floor(range.from)}ms and time <= ${Math.ceil(range.to)}ms`,
    __interval: durationText(intervalMs),
    interval: durationText(intervalMs),
    __interval_ms: String(intervalMs),
    __from: String(Math.floor(range.from)),
    __to: String(Math.ceil(range.to)),
    __range: durationText(Math.ceil(range.to - range.from)),
    __range_ms: String(Math.ceil(range.to - range.from)),
  };
  const spans = regexSpans(query);
  return query.replace(VARIABLE, (match, plain?: string, bracket?: string, _fmt?: string, braced?: string, offset?: number) => {
    const name = plain ?? bracket ?? braced ?? '';
    if (Object.hasOwn(builtins, name)) return builtins[name]!;
    const state = variables[name];
    if (!state) return match;
    const at = offset ?? 0;
    return formatVariable(
      state,
      spans.some(([s, e]) => at >= s && at < e),
    );
  });
}
