import type { Clock, TimerHandle } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { NodeId } from '../../core/transport';
import type { HandshakeReason } from './lifetime-policy';
import { stormBoundS, type SegmentAirtime } from '../../core/phy';
import type { StormReport } from '../mode';

/**
 * Handshakes of one PLC segment: the `handshakes_in_progress` gauge and storm detection. A storm is
 * one busy period of the segment's handshakes: it starts when a handshake starts while none is in
 * progress and ends when none is left; it is reported when at least minTns channels took part.
 */
export interface HandshakeRecord {
  readonly tn: NodeId;
  readonly dc: NodeId;
  readonly reason: HandshakeReason;
  readonly full: boolean;
  /** False when the handshake died (timeout, reset, refused server certificate). */
  readonly ok: boolean;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Frame bytes the TN sent and received during the handshake, retransmissions included. */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Byte-times on the segment of the handshake's first transmissions, PHY overhead included. */
  readonly cleanPhyBytes: number;
}

export interface HandshakeTrackerConfig {
  readonly dc: NodeId;
  readonly airtime: SegmentAirtime;
  readonly minStormTns: number;
  readonly sampleIntervalMs: number;
}

export class HandshakeTracker {
  readonly storms: StormReport[] = [];
  private active = 0;
  private episode: HandshakeRecord[] = [];
  private sampler: TimerHandle | undefined;
  private readonly stormListeners = new Set<(storm: StormReport | undefined) => void>();

  constructor(
    private readonly config: HandshakeTrackerConfig,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** A handshake started; call the returned function exactly once with its record. */
  begin(): (record: HandshakeRecord) => void {
    this.active++;
    if (this.active === 1) {
      this.sample();
      this.sampler = this.schedule();
    }
    let done = false;
    return (record) => {
      if (done) return;
      done = true;
      this.episode.push(record);
      this.active--;
      if (this.active === 0) this.endEpisode();
    };
  }

  /** Resolves at the end of the current (or next) busy period: the storm, or undefined if too small. */
  nextEpisode(): Promise<StormReport | undefined> {
    return new Promise((resolve) => {
      const listener = (storm: StormReport | undefined): void => {
        this.stormListeners.delete(listener);
        resolve(storm);
      };
      this.stormListeners.add(listener);
    });
  }

  private schedule(): TimerHandle {
    return this.clock.setTimer(this.config.sampleIntervalMs, () => {
      this.sample();
      this.sampler = this.active > 0 ? this.schedule() : undefined;
    });
  }

  private sample(): void {
    this.metrics.emit('handshakes_in_progress', { value: this.active }, { segment: this.config.dc, dc: this.config.dc });
  }

  private endEpisode(): void {
    this.sampler?.cancel();
    this.sampler = undefined;
    this.sample();
    const records = this.episode;
    this.episode = [];
    const tns = new Set(records.map((r) => r.tn)).size;
    let storm: StormReport | undefined;
    if (tns >= this.config.minStormTns) {
      storm = summarize(this.config, records, tns);
      this.storms.push(storm);
      this.metrics.emit(
        'storm',
        { tns: storm.tns, duration_s: storm.durationS, bound_s: storm.boundS, bytes: storm.bytes },
        { segment: storm.dc, dc: storm.dc, reason: storm.reason },
      );
    }
    for (const listener of [...this.stormListeners]) listener(storm);
  }
}

function summarize(config: HandshakeTrackerConfig, records: readonly HandshakeRecord[], tns: number): StormReport {
  const byReason = new Map<HandshakeReason, number>();
  for (const r of records) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  const reason = [...byReason.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const complete = records.filter((r) => r.ok && r.full);
  const phyBytesPerHandshake = complete.length ? complete.reduce((n, r) => n + r.cleanPhyBytes, 0) / complete.length : 0;
  const startedAt = Math.min(...records.map((r) => r.startedAt));
  const finishedAt = Math.max(...records.map((r) => r.finishedAt));
  return {
    dc: config.dc,
    reason,
    tns,
    handshakes: records.length,
    failed: records.filter((r) => !r.ok).length,
    startedAt,
    finishedAt,
    durationS: (finishedAt - startedAt) / 1000,
    boundS: stormBoundS(config.airtime, complete.length, phyBytesPerHandshake),
    phyBytesPerHandshake,
    bytes: records.reduce((n, r) => n + r.bytesUp + r.bytesDown, 0),
  };
}
