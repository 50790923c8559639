/**
 * How samples are tagged on their way to the outputs (metrics.lp, InfluxDB): `per-tn` (the
 * default) keeps the TN id a tag, one series per TN; `per-segment` makes it a field, so that a
 * run's series grow with its segments, not its TNs (a million TNs would be a million series, the
 * cardinality that makes a time-series database slow). A sample of a TN with a board keeps its tn
 * tag: boards are few, and the dashboard's board panel groups by TN. Under per-segment the
 * outputs also get accepted frames folded per 10 s (./accepted-fold.ts). The summary and the
 * thresholds see every sample as it was emitted.
 */
import type { Sample } from '../../core/metrics';

export type MetricsTagging = 'per-tn' | 'per-segment';
export const METRICS_TAGGINGS: readonly MetricsTagging[] = ['per-tn', 'per-segment'];

/** The sample as the outputs get it under the tagging. */
export function retag(tagging: MetricsTagging): (sample: Sample) => Sample {
  if (tagging === 'per-tn') return (sample) => sample;
  return (sample) => {
    const { tn, ...tags } = sample.tags;
    if (tn === undefined || tags.board !== undefined) return sample;
    return { ...sample, tags, fields: { ...sample.fields, tn } };
  };
}
