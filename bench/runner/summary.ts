/**
 * What a run found, per mode: the numbers of the summary table, summary.json and report.html. A
 * ModeSummarizer folds each sample into sinks as it arrives (bench/metrics/sinks.ts) and keeps no
 * sample; percentiles are k6's (core/statistics.ts). summary.json's modes are keyed by the
 * mode's name (lean, smgw-tls), as everywhere else.
 */
import type { Clock } from '../../core/clock';
import type { Sample } from '../../core/metrics';
import { mean } from '../../core/statistics';
import type { BackendName } from '../../nodes/crypto/backend';
import type { Goal, Violation } from '../../nodes/oracle/goal-oracle';
import { CAMPAIGN_GOALS } from '../campaign/goals';
import type { StepFailure } from '../campaign/step';
import { CounterSink, TrendSink } from '../metrics/sinks';
import type { ThresholdResult } from '../thresholds';
import type { RunPlacement } from './run-placement';
import { stormBound } from './storm-bound';

export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface AttackTally {
  injected: number;
  accepted: number;
  rejected: number;
}

export interface StormSummary {
  readonly segment: string;
  readonly tns: number;
  readonly measuredS: number;
  /** Null where it was not computed (storm-bound.ts). */
  readonly boundS: number | null;
  readonly bytes: number;
}

export interface ModeSummary {
  readonly mode: string;
  /** What the mode ran with (BenchMode.parameters: smgw-tls's TCP parameters and chain choice). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly bootstrap: { readonly enrolled: number; readonly failed: readonly string[]; readonly durationMs: number };
  /** `count` TNs accepted a command, of `addressed`; deliveryRatio = count / addressed (null without commands). */
  readonly automation: LatencyStats & { readonly commands: number; readonly addressed: number; readonly deliveryRatio: number | null };
  /** Command send to relay pin change reported by a board. */
  readonly relay: LatencyStats;
  /** Bytes one automation command put on its PLC segment (protocol frames, without PHY overhead). */
  readonly bytesPerCommand: number | null;
  readonly meterRounds: { readonly rounds: number; readonly p50Ms: number | null; readonly maxMs: number | null; readonly missing: number };
  readonly firmware: { readonly rollouts: number; readonly installs: number };
  readonly handshakes: { readonly count: number; readonly p50Ms: number | null; readonly meanBytes: number | null };
  readonly storms: readonly StormSummary[];
  readonly attacks: AttackTally & { readonly byGoal: Partial<Record<Goal | string, AttackTally>> };
  /** Every security-goal violation the oracle found (the first 100), with the attack behind it. */
  readonly violations: readonly Violation[];
  readonly rejections: Readonly<Record<string, number>>;
  /** Campaign steps that threw or rejected, with their campaign and step: any of them fails the run. */
  readonly failedSteps: readonly StepFailure[];
  readonly channel: {
    readonly framesOffered: number;
    readonly bytesOffered: number;
    readonly dropsLoss: number;
    readonly dropsQueue: number;
    readonly dropsAttack: number;
  };
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
const round = (v: number | null, digits = 1) => (v === null || Number.isNaN(v) ? null : Number(v.toFixed(digits)));

export function latencyStats(trend: TrendSink): LatencyStats {
  if (trend.count === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  return { count: trend.count, p50Ms: round(trend.percentile(50)), p99Ms: round(trend.percentile(99)), maxMs: round(trend.max) };
}

export interface ModeFacts {
  readonly mode: string;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
  readonly bootstrap: ModeSummary['bootstrap'];
  readonly commands: number;
  readonly addressed: number;
  readonly commandBytes: readonly number[];
  readonly firmwareRollouts: number;
  readonly violations?: readonly Violation[];
  readonly failedSteps?: readonly StepFailure[];
}

const ATTACK_FIELDS = ['injected', 'accepted', 'rejected'] as const;
const zero = (): AttackTally => ({ injected: 0, accepted: 0, rejected: 0 });

/** One mode's samples, folded as they arrive into what its summary reports. */
export class ModeSummarizer {
  private readonly automation = new TrendSink();
  private readonly relay = new TrendSink();
  private readonly rounds = new TrendSink();
  private readonly missing = new CounterSink();
  private readonly installs = new CounterSink();
  private readonly handshakes = new TrendSink();
  private readonly handshakeBytes = new CounterSink();
  private readonly storms: StormSummary[] = [];
  private readonly rejections: Record<string, number> = {};
  private readonly byGoal: Record<string, AttackTally> = {};
  private readonly total = zero();
  private readonly channel = { framesOffered: 0, bytesOffered: 0, dropsLoss: 0, dropsQueue: 0, dropsAttack: 0 };

  add(s: Sample): void {
    const f = s.fields;
    switch (s.measurement) {
      case 'automation_latency':
        return this.automation.add(num(f.latency_ms));
      case 'relay_switch':
        return this.relay.add(num(f.latency_ms));
      case 'meter_round':
        this.rounds.add(num(f.duration_ms));
        return this.missing.add(num(f.missing));
      case 'firmware_install':
        return this.installs.add(1);
      case 'handshake':
        this.handshakes.add(num(f.duration_ms));
        return this.handshakeBytes.add(num(f.bytes_up) + num(f.bytes_down));
      case 'storm':
        this.storms.push({
          segment: s.tags.segment ?? s.tags.dc ?? '?',
          tns: num(f.tns),
          measuredS: round(num(f.duration_s), 2)!,
          boundS: round(stormBound(f), 2),
          bytes: num(f.bytes),
        });
        return;
      case 'frame_rejected': {
        const reason = s.tags.reason ?? 'unknown';
        this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
        return;
      }
      case 'attack': {
        const t = (this.byGoal[s.tags.goal ?? 'none'] ??= zero());
        for (const k of ATTACK_FIELDS) {
          t[k] += num(f[k]);
          this.total[k] += num(f[k]);
        }
        return;
      }
      case 'channel':
        this.channel.framesOffered += num(f.frames_offered);
        this.channel.bytesOffered += num(f.bytes_offered);
        this.channel.dropsLoss += num(f.drops_loss);
        this.channel.dropsQueue += num(f.drops_queue);
        this.channel.dropsAttack += num(f.drops_attack);
        return;
      default:
        return;
    }
  }

  /** The automation latencies so far, ascending (the report's CDF): the sink's own values, not a copy. */
  latencies(): readonly number[] {
    return this.automation.sortedValues();
  }

  summary(facts: ModeFacts): ModeSummary {
    // a row for every goal a campaign can name, availability (jamming, flooding) too, so the rows add up to the totals
    const byGoal: Record<string, AttackTally> = {};
    for (const [goal, t] of Object.entries(this.byGoal))
      if ((CAMPAIGN_GOALS as readonly string[]).includes(goal) || goal === 'none') byGoal[goal] = { ...t };
    const rounds = latencyStats(this.rounds);
    return {
      mode: facts.mode,
      ...(facts.parameters ? { parameters: facts.parameters } : {}),
      bootstrap: facts.bootstrap,
      automation: {
        ...latencyStats(this.automation),
        commands: facts.commands,
        addressed: facts.addressed,
        deliveryRatio: facts.addressed > 0 ? Number((this.automation.count / facts.addressed).toFixed(5)) : null,
      },
      relay: latencyStats(this.relay),
      bytesPerCommand: facts.commandBytes.length ? Math.round(mean(facts.commandBytes)) : null,
      meterRounds: { rounds: rounds.count, p50Ms: rounds.p50Ms, maxMs: rounds.maxMs, missing: this.missing.value },
      firmware: { rollouts: facts.firmwareRollouts, installs: this.installs.count },
      handshakes: {
        count: this.handshakes.count,
        p50Ms: latencyStats(this.handshakes).p50Ms,
        meanBytes: this.handshakeBytes.count ? Math.round(this.handshakeBytes.value / this.handshakeBytes.count) : null,
      },
      storms: [...this.storms],
      attacks: { ...this.total, byGoal },
      violations: (facts.violations ?? []).slice(0, 100),
      rejections: { ...this.rejections },
      failedSteps: facts.failedSteps ?? [],
      channel: { ...this.channel },
    };
  }
}

/** A mode's summary from samples at hand (a run folds them as they arrive: ModeSummarizer). */
export function summarizeMode(samples: Iterable<Sample>, facts: ModeFacts): ModeSummary {
  const summarizer = new ModeSummarizer();
  for (const sample of samples) summarizer.add(sample);
  return summarizer.summary(facts);
}

export interface ProcessOutcome {
  readonly name: string;
  readonly pid: number | undefined;
  /** 'ok', or how it ended otherwise (exit code, signal, error). */
  readonly outcome: string;
}

/** summary.json. */
export interface RunSummary {
  readonly run: string;
  readonly scenario: string;
  readonly seed: string | number;
  readonly clock: Clock['kind'];
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly durationMs: number;
  readonly topology: { readonly dcs: number; readonly tnsPerDc: number; readonly boards: number };
  /** Which crypto backend each role ran (ideal: the ideal functionality, nodes/crypto/ideal.ts) and where keys and nonces came from. */
  readonly crypto: {
    readonly hes: BackendName;
    readonly dc: BackendName;
    readonly tn: BackendName;
    readonly randomness: 'seeded' | 'system';
  };
  /** Keyed by the mode's name. */
  readonly modes: Record<string, ModeSummary>;
  readonly thresholds: readonly ThresholdResult[];
  /** Every threshold held, no campaign step failed and the run has no failures. */
  readonly ok: boolean;
  /** --processes only: why the run failed whatever its thresholds say (its broker, its HES or every TN host lost). */
  readonly failures?: readonly string[];
  readonly outputs: readonly { output: string; report: unknown }[];
  /** Where the run sits in time (a virtual-clock run ends when the run ended), as metrics.lp and InfluxDB have it. */
  readonly placement: RunPlacement;
  /** The run on the Grafana dashboard: its span, its run id. */
  readonly dashboard: string;
  /** --processes only: each OS process of the run and how it ended. */
  readonly processes?: readonly ProcessOutcome[];
}
