/**
 * k6-style thresholds: `"automation_latency_ms{mode:lean}": ["p(99)<2000"]`,
 * `"attack_accepted": ["count==0"]`. A run whose thresholds all hold exits 0, one that fails any
 * exits 99, so a campaign can run as a CI test.
 *
 * Threshold metrics are derived from the measurements (core/measurements.ts): trends
 * (a value per sample: avg, min, max, med, p(N), count) and counters (summed: count). Each
 * threshold folds the samples it selects into its own sink as they arrive (bench/metrics/sinks.ts),
 * and its percentiles are k6's (core/statistics.ts).
 */
import { MEASUREMENTS, RUN_TAGS, type MeasurementName } from '../core/measurements';
import { MODE_NAMES } from '../nodes/modes';
import type { Sample, Tags } from '../core/metrics';
import { CAMPAIGN_GOALS } from './campaign/goals';
import { createSink, type Sink, type SinkKind } from './metrics/sinks';
import { stormBound } from './runner/storm-bound';

/** Tags whose values are known in advance, so a typo is an error instead of an empty filter. */
const TAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  mode: MODE_NAMES,
  goal: CAMPAIGN_GOALS,
};

interface MetricSource {
  readonly kind: SinkKind;
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
    // a storm whose bound was not computed has no ratio: left out, not Infinity (storm-bound.ts)
    value: (f) => {
      const bound = stormBound(f);
      return bound === null ? NaN : Number(f.duration_s) / bound;
    },
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

type Aggregation = 'avg' | 'min' | 'max' | 'med' | 'count' | 'p' | 'value' | 'rate';

/** What a rule may ask of each kind of metric (k6: a gauge has its value, a rate its rate). */
const AGGREGATIONS: Readonly<Record<SinkKind, readonly Aggregation[]>> = {
  counter: ['count'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p', 'count'],
};
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

/** A threshold that does not parse; field and expected let a loader name its file (core/config.ts ConfigError). */
export class ThresholdError extends Error {
  constructor(
    /** `thresholds."key"`: where in the file. */
    readonly field: string,
    readonly expected: string,
  ) {
    super(`${field}: ${expected}`);
    this.name = 'ThresholdError';
  }
}

const KEY = /^([a-z_]+)(?:\{([^}]*)\})?$/;
const RULE = /^\s*(avg|min|max|med|count|value|rate|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parses every threshold; the error names the key (and expression) that does not parse. */
export function parseThresholds(spec: Readonly<Record<string, readonly string[]>>, where = 'thresholds'): Threshold[] {
  return Object.entries(spec).map(([key, expressions]) => {
    const field = `${where}."${key}"`;
    const k = KEY.exec(key);
    if (!k) throw new ThresholdError(field, 'expected metric or metric{tag:value,...}');
    const metric = k[1]!;
    const source = THRESHOLD_METRICS[metric];
    if (!source) throw new ThresholdError(field, `unknown metric "${metric}" (one of ${Object.keys(THRESHOLD_METRICS).join(', ')})`);
    const tags: Record<string, string> = {};
    const known = [...RUN_TAGS, ...MEASUREMENTS[source.measurement].tags] as string[];
    for (const pair of (k[2] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [tag, value, ...rest] = pair.split(':');
      if (!tag || value === undefined || rest.length) throw new ThresholdError(field, `tag filter "${pair}" is not tag:value`);
      const name = tag.trim();
      // a filter that can never match would make the threshold judge nothing
      if (!known.includes(name)) throw new ThresholdError(field, `${metric} has no tag "${name}" (its tags: ${known.join(', ')})`);
      const allowed = TAG_VALUES[name];
      if (allowed && !allowed.includes(value.trim()))
        throw new ThresholdError(field, `${name} "${value.trim()}" is not one of ${allowed.join(', ')}`);
      tags[name] = value.trim();
    }
    const rules = expressions.map((expression): Rule => {
      const r = RULE.exec(expression);
      if (!r) throw new ThresholdError(field, `"${expression}" is not an expression such as p(99)<2000, avg<500 or count==0`);
      const aggregation = (r[2] !== undefined ? 'p' : r[1]) as Aggregation;
      const allowed = AGGREGATIONS[source.kind];
      if (!allowed.includes(aggregation)) {
        const names = allowed.map((a) => (a === 'p' ? 'p(N)' : a));
        throw new ThresholdError(
          field,
          `"${expression}": ${metric} is a ${source.kind}; only ${names.join(', ')} appl${names.length > 1 ? 'y' : 'ies'}`,
        );
      }
      const p = r[2] !== undefined ? Number(r[2]) : undefined;
      if (p !== undefined && (p <= 0 || p > 100)) throw new ThresholdError(field, `"${expression}": percentile must be in (0, 100]`);
      return { expression, aggregation, ...(p !== undefined ? { percentile: p } : {}), operator: r[3] as Operator, value: Number(r[4]) };
    });
    return { key, metric, tags, rules };
  });
}

/** The value a rule compares, from the sink of its threshold. */
function aggregate(sink: Sink, rule: Rule): number {
  switch (sink.kind) {
    case 'counter':
      return sink.value;
    case 'gauge':
      return sink.value;
    case 'rate':
      return sink.rate;
    case 'trend':
      switch (rule.aggregation) {
        case 'avg':
          return sink.avg;
        case 'min':
          return sink.min;
        case 'max':
          return sink.max;
        case 'med':
          return sink.percentile(50);
        case 'p':
          return sink.percentile(rule.percentile!);
        case 'count':
          return sink.count;
        default:
          return Number.NaN;
      }
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

interface Watched {
  readonly threshold: Threshold;
  readonly source: MetricSource;
  readonly sink: Sink;
}

/** The thresholds of a run, each folding the samples it selects into its sink as they arrive. */
export class ThresholdSinks {
  private readonly watched: Watched[];
  private readonly byMeasurement = new Map<MeasurementName, Watched[]>();

  constructor(thresholds: readonly Threshold[]) {
    this.watched = thresholds.map((threshold) => {
      const source = THRESHOLD_METRICS[threshold.metric];
      if (!source) throw new ThresholdError(threshold.key, `unknown metric "${threshold.metric}"`);
      return { threshold, source, sink: createSink(source.kind) };
    });
    for (const w of this.watched) {
      const list = this.byMeasurement.get(w.source.measurement) ?? [];
      list.push(w);
      this.byMeasurement.set(w.source.measurement, list);
    }
  }

  add(sample: Sample): void {
    for (const { threshold, source, sink } of this.byMeasurement.get(sample.measurement) ?? [])
      if (matches(threshold.tags, sample.tags)) {
        const value = source.value(sample.fields);
        if (!Number.isNaN(value)) sink.add(value); // NaN: this sample has no value for the metric
      }
  }

  /**
   * A metric with no samples fails every rule, count==0 included: a threshold must not pass by
   * silence (a campaign that put nothing on the wire has not shown that nothing gets through).
   */
  results(): ThresholdResult[] {
    return this.watched.flatMap(({ threshold, sink }) =>
      threshold.rules.map((rule) => {
        const actual = sink.count > 0 ? aggregate(sink, rule) : Number.NaN;
        return {
          key: threshold.key,
          expression: rule.expression,
          actual,
          ok: !Number.isNaN(actual) && compare[rule.operator](actual, rule.value),
        };
      }),
    );
  }
}

function matches(wanted: Tags, tags: Tags): boolean {
  for (const k in wanted) if (tags[k] !== wanted[k]) return false;
  return true;
}

/** The thresholds over samples already at hand (the run folds them as they arrive: ThresholdSinks). */
export function evaluateThresholds(thresholds: readonly Threshold[], samples: Iterable<Sample>): ThresholdResult[] {
  const sinks = new ThresholdSinks(thresholds);
  for (const sample of samples) sinks.add(sample);
  return sinks.results();
}
