/** Cumulative counters of one link direction; the metrics ticker reports their deltas. */
export interface DirectionCounters {
  framesOffered: number;
  bytesOffered: number;
  framesDelivered: number;
  bytesDelivered: number;
  dropsLoss: number;
  dropsQueue: number;
  dropsAttack: number;
  /** Sum and count of enqueue-to-start delays, for the mean queue delay. */
  queueDelaySumMs: number;
  queueDelayCount: number;
  /** Time the medium spent sending frames of this direction. */
  busyMs: number;
}

export const zeroCounters = (): DirectionCounters => ({
  framesOffered: 0,
  bytesOffered: 0,
  framesDelivered: 0,
  bytesDelivered: 0,
  dropsLoss: 0,
  dropsQueue: 0,
  dropsAttack: 0,
  queueDelaySumMs: 0,
  queueDelayCount: 0,
  busyMs: 0,
});

export function counterDelta(now: DirectionCounters, before: DirectionCounters): DirectionCounters {
  const out = zeroCounters();
  for (const k of Object.keys(out) as (keyof DirectionCounters)[]) out[k] = now[k] - before[k];
  return out;
}

export const hasActivity = (c: DirectionCounters): boolean =>
  c.framesOffered + c.framesDelivered + c.dropsLoss + c.dropsQueue + c.dropsAttack + c.queueDelayCount > 0;
