import type { Clock } from './clock';
import type { MeasurementName } from './measurements';

/**
 * The metrics hook every node, the channel and the runner receive. Emitting never blocks and
 * never throws: samples go to a sink (the run's outputs: line-protocol file, InfluxDB, the
 * summary), which buffers on its own.
 *
 * Shape follows InfluxDB: a measurement, tags (low-cardinality labels to group by) and fields
 * (the values). Sample time is the emitting clock's time in ms; outputs turn it into an epoch
 * timestamp with the run's placement (bench/metrics/timebase.ts), and report which clock it was.
 */
export type FieldValue = number | boolean | string;
export type Tags = Readonly<Record<string, string>>;
export type Fields = Readonly<Record<string, FieldValue>>;

export interface Sample {
  readonly measurement: MeasurementName;
  readonly tags: Tags;
  readonly fields: Fields;
  /** Clock time in ms. */
  readonly time: number;
}

export interface Metrics {
  /** Records one sample at the clock's current time. Names come from measurements.ts. */
  emit(measurement: MeasurementName, fields: Fields, tags?: Tags): void;
  /** A hook whose samples also carry these tags. */
  with(tags: Tags): Metrics;
}

/** Where samples go (k6's Output shape). addSamples must return at once. */
export interface MetricsOutput {
  start(): Promise<void>;
  addSamples(samples: readonly Sample[]): void;
  stop(): Promise<void>;
}

export type SampleSink = (sample: Sample) => void;

export function createMetrics(clock: Clock, sink: SampleSink, tags: Tags = {}): Metrics {
  return {
    emit(measurement, fields, extra) {
      sink({ measurement, tags: extra ? { ...tags, ...extra } : tags, fields, time: clock.now() });
    },
    with(more) {
      // Object.assign, not a spread: tags made by spreading took a hidden class of their own in
      // V8, about 200 bytes for each TN of a run (issue 13); assigned, they share one
      return createMetrics(clock, sink, Object.assign({}, tags, more));
    },
  };
}

export const NO_METRICS: Metrics = {
  emit() {},
  with() {
    return NO_METRICS;
  },
};

/** Keeps every sample in memory: for tests and for a run's own summary. */
export class SampleRecorder {
  readonly samples: Sample[] = [];
  readonly sink: SampleSink = (sample) => {
    this.samples.push(sample);
  };

  metrics(clock: Clock, tags: Tags = {}): Metrics {
    return createMetrics(clock, this.sink, tags);
  }

  /** Samples of one measurement whose tags include every given tag. */
  select(measurement: MeasurementName, tags: Tags = {}): Sample[] {
    return this.samples.filter((s) => s.measurement === measurement && Object.entries(tags).every(([k, v]) => s.tags[k] === v));
  }

  /** Sum of a numeric field over the selected samples. */
  sum(measurement: MeasurementName, field: string, tags: Tags = {}): number {
    let total = 0;
    for (const s of this.select(measurement, tags)) {
      const v = s.fields[field];
      if (typeof v === 'number') total += v;
    }
    return total;
  }
}
