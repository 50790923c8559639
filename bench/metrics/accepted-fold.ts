/**
 * Under per-segment tagging (./tagging.ts), the outputs get one `frame_accepted` point per
 * interval, segment, role and class instead of one per accepted frame: the frames' count and
 * the highest counter they carried. Accepted frames are most of a run's samples (three quarters
 * of utility-48h's), and nothing reads them one by one: the summary, the thresholds and the
 * report see every sample as it was emitted, and no dashboard panel queries frame_accepted. A
 * frame of a TN with a board (which keeps its tn tag) goes out as it came.
 *
 * A point is timed at its interval's start and goes out once a sample of a later interval has
 * come (samples come in clock order), or at flush(). Under per-tn tagging nothing is folded.
 */
import type { Sample } from '../../core/metrics';
import type { MetricsTagging } from './tagging';

/** Ten seconds: finer than a dashboard's grouping over a run of hours, 40 times fewer points for a meter round. */
export const ACCEPTED_FOLD_MS = 10_000;

interface Bucket {
  readonly sample: Sample;
  count: number;
  counter: number;
}

export class AcceptedFold {
  private readonly open = new Map<string, Bucket>();
  private openInterval = -Infinity;

  constructor(private readonly intervalMs = ACCEPTED_FOLD_MS) {}

  /** Hands `sample` on, or folds it (a retagged frame_accepted without a tn tag). */
  add(sample: Sample, to: (sample: Sample) => void): void {
    const interval = Math.floor(sample.time / this.intervalMs);
    if (interval > this.openInterval) {
      this.flush(to);
      this.openInterval = interval;
    }
    if (sample.measurement !== 'frame_accepted' || sample.tags.tn !== undefined) {
      to(sample);
      return;
    }
    const counter = typeof sample.fields.counter === 'number' ? sample.fields.counter : 0;
    // a late sample (of an interval already handed on) opens a point of its own
    const key = `${interval}\n${keyOf(sample.tags)}`;
    const bucket = this.open.get(key);
    if (bucket) {
      bucket.count++;
      if (counter > bucket.counter) bucket.counter = counter;
      return;
    }
    this.open.set(key, { sample: { ...sample, time: interval * this.intervalMs }, count: 1, counter });
  }

  /** Hands on every open point, in the order they were opened. */
  flush(to: (sample: Sample) => void): void {
    for (const { sample, count, counter } of this.open.values()) to({ ...sample, fields: { count, counter } });
    this.open.clear();
  }
}

/** What the outputs' samples go through under `tagging`: a fold under per-segment, none under per-tn. */
export function outputFold(tagging: MetricsTagging): Pick<AcceptedFold, 'add' | 'flush'> {
  if (tagging === 'per-segment') return new AcceptedFold();
  return { add: (sample, to) => to(sample), flush: () => {} };
}

function keyOf(tags: Sample['tags']): string {
  let key = '';
  for (const name in tags) key += `${name}=${tags[name]},`;
  return key;
}
