/**
 * PHY arithmetic shared by the channel and the nodes. What a PLC segment costs in air time (docs/DESIGN.md section 5), from the fields of the segment's
 * link profile that matter for it: a frame of B bytes is cut into PHY frames of at most maxPsdu
 * bytes, each carrying overheadBytes more, all at bitRate.
 */

export interface SegmentAirtime {
  /** Bits per second; 0 means unlimited. */
  readonly bitRate: number;
  readonly overheadBytes: number;
  readonly maxPsdu: number | null;
}

/** Payload bytes of each PHY frame a frame of `bytes` is cut into. */
export function fragmentSizes(profile: { readonly maxPsdu: number | null }, bytes: number): number[] {
  const max = profile.maxPsdu;
  if (max === null || bytes <= max) return [bytes];
  const sizes: number[] = [];
  for (let left = bytes; left > 0; left -= max) sizes.push(Math.min(max, left));
  return sizes;
}

export const NO_AIRTIME: SegmentAirtime = { bitRate: 0, overheadBytes: 0, maxPsdu: null };

/** Byte-times one frame occupies the medium: its bytes plus the overhead of each PHY frame. */
export function phyBytes(segment: SegmentAirtime, frameBytes: number): number {
  return frameBytes + fragmentSizes(segment, frameBytes).length * segment.overheadBytes;
}

/** N * S * 8 / R in seconds: the least time N handshakes of S byte-times each occupy the segment. */
export function stormBoundS(segment: SegmentAirtime, handshakes: number, phyBytesPerHandshake: number): number {
  return segment.bitRate > 0 ? (handshakes * phyBytesPerHandshake * 8) / segment.bitRate : 0;
}
