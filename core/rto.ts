/**
 * The retransmission timeout of a reliable stream (RFC 6298): a smoothed round-trip time and its
 * variation from the acknowledgements' samples (Karn's rule is the caller's: no sample from a
 * retransmitted segment), clamped to [minRtoMs, maxRtoMs], doubled on every expiry.
 * Shared by the smgw-tls reliable stream and the channel's TCP bridge.
 */
export interface RtoBounds {
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
}

export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;
  private current: number;

  constructor(private readonly bounds: RtoBounds) {
    this.current = bounds.initialRtoMs;
  }

  /** The timeout to arm now. */
  get rto(): number {
    return this.current;
  }

  /** New data was acknowledged, with a round-trip sample where Karn's rule allows one: the backoff ends. */
  acknowledged(sample: number | undefined): void {
    if (sample !== undefined) this.update(sample);
    const base = this.srtt === undefined ? this.bounds.initialRtoMs : this.srtt + 4 * this.rttvar;
    this.current = Math.min(this.bounds.maxRtoMs, Math.max(this.bounds.minRtoMs, base));
  }

  /** The timer expired: wait twice as long for the retransmission. */
  backOff(): void {
    this.current = Math.min(this.bounds.maxRtoMs, this.current * 2);
  }

  private update(sample: number): void {
    if (this.srtt === undefined) {
      this.srtt = sample;
      this.rttvar = sample / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - sample);
      this.srtt = 0.875 * this.srtt + 0.125 * sample;
    }
  }
}
