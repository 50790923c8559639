/**
 * A storm sample's physical bound N * S * 8 / R (core/phy.ts stormBoundS), or null where it was
 * not computed: the tracker (nodes/smgw-tls/handshake-tracker.ts) takes S from the storm's own
 * handshakes that completed in full, and a busy period of reconnections that all failed or resumed
 * has none, so its bound_s is 0. A bound of 0 would print as "Infinity x" and fail every
 * storm_bound_ratio threshold; null prints "not computed" and is left out of the ratio.
 */
import type { Sample } from '../../core/metrics';

export function stormBound(fields: Sample['fields']): number | null {
  const bound = Number(fields.bound_s);
  return Number.isFinite(bound) && bound > 0 ? bound : null;
}
