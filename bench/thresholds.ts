/**
 * k6-style thresholds: `"automation_latency_ms{mode:lean}": ["p(99)<2000"]`,
 * `"attack_accepted": ["count==0"]`. A run whose thresholds all hold exits 0, one that fails any
 * exits 99, so a campaign can run as a CI test.
 *
 * Threshold metrics are derived from the measurements (core/measurements.ts): trends
 * (a value per sample: avg, min, max, med, p(N), count) and counters (summed: count).
 */
import { MEASUREMENTS, RUN_TAGS, type MeasurementName } from '../core/measurements';
import { MODE_NAMES } from '../nodes/mode';
import type { Sample, Tags } from '../core/metrics';
import { CAMPAIGN_GOALS } from './campaign/schema';
import { percentile } from './perf/measure';

/** Tags whose values are known in advance, so a typo is an error instead of an empty filter. */
const TAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  mode: MODE_NAMES,
  goal: CAMPAIGN_GOALS,
};

type Kind = 'trend' | 'counter';

interface MetricSource {
  readonly kind: Kind;
  readonly measurement: MeasurementName;
  readonly value: (fields: Sample['fields']) => number;
  readonly description: string;
}

const field = (name: string) => (fields: Sample['fields']) => Number(fields[name] ?? 0);

export const THRESHOLD_METRICS: Readonly<Record<string, MetricSource>> = {
  automation_latency_ms: {
    kind: 'trend',
    measurement: 'automation_latency',
    value: field('latency_ms'),
    description: 'automation command, DC/HES send to accepted by a TN',
  },
  relay_latency_ms: {
    kind: 'trend',
    measurement: 'relay_switch',
    value: field('latency_ms'),
    description: 'automation command send to relay pin change reported by the board',
  },
  meter_round_ms: {
    kind: 'trend',
    measurement: 'meter_round',
    value: field('duration_ms'),
    description: 'meter round, request to last response or timeout',
  },
  meter_missing: {
    kind: 'counter',
    measurement: 'meter_round',
    value: field('missing'),
    description: 'TNs that did not answer a meter round in time',
  },
  bootstrap_ms: { kind: 'trend', measurement: 'bootstrap', value: field('duration_ms'), description: 'node bootstrap duration' },
  handshake_ms: { kind: 'trend', measurement: 'handshake', value: field('duration_ms'), description: 'TLS handshake duration (smgw-tls)' },
  handshake_bytes: {
    kind: 'trend',
    measurement: 'handshake',
    value: (f) => Number(f.bytes_up ?? 0) + Number(f.bytes_down ?? 0),
    description: 'TLS handshake bytes on the segment',
  },
  storm_s: { kind: 'trend', measurement: 'storm', value: field('duration_s'), description: 'renegotiation storm duration' },
  storm_bound_ratio: {
    kind: 'trend',
    measurement: 'storm',
    value: (f) => Number(f.duration_s) / Number(f.bound_s),
    description: 'storm duration over its physical lower bound',
  },
  frames_rejected: { kind: 'counter', measurement: 'frame_rejected', value: field('count'), description: 'frames refused by nodes' },
  firmware_installs: { kind: 'counter', measurement: 'firmware_install', value: () => 1, description: 'firmware images installed' },
  attack_injected: { kind: 'counter', measurement: 'attack', value: field('injected'), description: 'frames attackers put on the wire' },
  attack_accepted: {
    kind: 'counter',
    measurement: 'attack',
    value: field('accepted'),
    description: 'security-goal violations: attacker frames or effects accepted',
  },
  attack_rejected: { kind: 'counter', measurement: 'attack', value: field('rejected'), description: 'attacker frames refused' },
  channel_drops: {
    kind: 'counter',
    measurement: 'channel',
    value: (f) => Number(f.drops_loss ?? 0) + Number(f.drops_queue ?? 0) + Number(f.drops_attack ?? 0),
    description: 'frames dropped on the emulated wire',
  },
};

type Aggregation = 'avg' | 'min' | 'max' | 'med' | 'count' | 'p';
type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Rule {
  readonly expression: string;
  readonly aggregation: Aggregation;
  readonly percentile?: number;
  readonly operator: Operator;
  readonly value: number;
}

export interface Threshold {
  readonly key: string;
  readonly metric: string;
  readonly tags: Tags;
  readonly rules: readonly Rule[];
}

export interface ThresholdResult {
  readonly key: string;
  readonly expression: string;
  /** The aggregated value; NaN when the metric had no samples. */
  readonly actual: number;
  readonly ok: boolean;
}

export class ThresholdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ThresholdError';
  }
}

const KEY = /^([a-z_]+)(?:\{([^}]*)\})?$/;
const RULE = /^\s*(avg|min|max|med|count|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses every threshold; the error names the key (and expression) that does not parse. */
export function parseThresholds(spec: Readonly<Record<string, readonly string[]>>, where = 'thresholds'): Threshold[] {
  return Object.entries(spec).map(([key, expressions]) => {
    const k = KEY.exec(key);
    if (!k) throw new ThresholdError(`${where}."${key}": expected metric or metric{tag:value,...}`);
    const metric = k[1]!;
    const source = THRESHOLD_METRICS[metric];
    if (!source)
      throw new ThresholdError(`${where}."${key}": unknown metric "${metric}" (one of ${Object.keys(THRESHOLD_METRICS).join(', ')})`);
    const tags: Record<string, string> = {};
    const known = [...RUN_TAGS, ...MEASUREMENTS[source.measurement].tags] as string[];
    for (const pair of (k[2] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [tag, value, ...rest] = pair.split(':');
      if (!tag || value === undefined || rest.length) throw new ThresholdError(`${where}."${key}": tag filter "${pair}" is not tag:value`);
      const name = tag.trim();
      // a filter that can never match would make the threshold judge nothing
      if (!known.includes(name))
        throw new ThresholdError(`${where}."${key}": ${metric} has no tag "${name}" (its tags: ${known.join(', ')})`);
      const allowed = TAG_VALUES[name];
      if (allowed && !allowed.includes(value.trim()))
        throw new ThresholdError(`${where}."${key}": ${name} "${value.trim()}" is not one of ${allowed.join(', ')}`);
      tags[name] = value.trim();
    }
    const rules = expressions.map((expression): Rule => {
      const r = RULE.exec(expression);
      if (!r) throw new ThresholdError(`${where}."${key}": "${expression}" is not an expression such as p(99)<2000, avg<500 or count==0`);
      const aggregation = (r[2] !== undefined ? 'p' : r[1]) as Aggregation;
      if (source.kind === 'counter' && aggregation !== 'count')
        throw new ThresholdError(`${where}."${key}": "${expression}": ${metric} is a counter; only count applies`);
      const p = r[2] !== undefined ? Number(r[2]) : undefined;
      if (p !== undefined && (p <= 0 || p > 100))
        throw new ThresholdError(`${where}."${key}": "${expression}": percentile must be in (0, 100]`);
      return { expression, aggregation, ...(p !== undefined ? { percentile: p } : {}), operator: r[3] as Operator, value: Number(r[4]) };
    });
    return { key, metric, tags, rules };
  });
}

/** Values of one threshold metric over the samples whose tags include the filter. */
export function metricValues(samples: readonly Sample[], metric: string, tags: Tags = {}): number[] {
  const source = THRESHOLD_METRICS[metric];
  if (!source) throw new ThresholdError(`unknown metric "${metric}"`);
  const wanted = Object.entries(tags);
  const values: number[] = [];
  for (const s of samples) {
    if (s.measurement !== source.measurement) continue;
    if (wanted.every(([k, v]) => s.tags[k] === v)) values.push(source.value(s.fields));
  }
  return values;
}

export function aggregate(values: readonly number[], kind: Kind, aggregation: Aggregation, p?: number): number {
  if (aggregation === 'count') return kind === 'counter' ? values.reduce((a, b) => a + b, 0) : values.length;
  if (values.length === 0) return Number.NaN;
  switch (aggregation) {
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      return values.reduce((a, b) => Math.min(a, b));
    case 'max':
      return values.reduce((a, b) => Math.max(a, b));
    case 'med':
      return percentile(values, 50);
    case 'p':
      return percentile(values, p!);
  }
}

const compare: Record<Operator, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/**
 * A metric with no samples fails every rule, count==0 included: a threshold must not pass by
 * silence (a campaign that put nothing on the wire has not shown that nothing gets through).
 */
export function evaluateThresholds(thresholds: readonly Threshold[], samples: readonly Sample[]): ThresholdResult[] {
  return thresholds.flatMap((t) => {
    const values = metricValues(samples, t.metric, t.tags);
    const kind = THRESHOLD_METRICS[t.metric]!.kind;
    return t.rules.map((rule) => {
      const actual = aggregate(values, kind, rule.aggregation, rule.percentile);
      return {
        key: t.key,
        expression: rule.expression,
        actual: values.length ? actual : Number.NaN,
        ok: values.length > 0 && !Number.isNaN(actual) && compare[rule.operator](actual, rule.value),
      };
    });
  });
}
