/**
 * What a run found, per mode, computed from the samples the run recorded: the numbers of the
 * summary table, summary.json and report.html. Percentiles are nearest-rank over every sample.
 */
import type { Sample } from '../../core/metrics';
import type { Goal, Violation } from '../../nodes/oracle/goal-oracle';
import type { ModeName } from '../../nodes/mode';
import { CAMPAIGN_GOALS } from '../campaign/schema';
import { percentile } from '../perf/measure';

/** summary.json keys of the modes. */
export const MODE_KEYS: Readonly<Record<ModeName, string>> = { lean: 'lean', 'smgw-tls': 'tls' };

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
  readonly boundS: number;
  readonly bytes: number;
}

export interface ModeSummary {
  readonly mode: string;
  readonly bootstrap: { readonly enrolled: number; readonly failed: readonly string[]; readonly durationMs: number };
  readonly automation: LatencyStats & { readonly commands: number; readonly addressed: number };
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

export function latencyStats(values: readonly number[]): LatencyStats {
  if (values.length === 0) return { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
  return {
    count: values.length,
    p50Ms: round(percentile(values, 50)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(values.reduce((a, b) => Math.max(a, b))),
  };
}

export interface ModeFacts {
  readonly mode: string;
  readonly bootstrap: ModeSummary['bootstrap'];
  readonly commands: number;
  readonly addressed: number;
  readonly commandBytes: readonly number[];
  readonly firmwareRollouts: number;
  readonly violations?: readonly Violation[];
}

export function summarizeMode(samples: readonly Sample[], facts: ModeFacts): ModeSummary {
  const values = (measurement: Sample['measurement'], field: string) =>
    samples.filter((s) => s.measurement === measurement).map((s) => num(s.fields[field]));
  const of = (measurement: Sample['measurement']) => samples.filter((s) => s.measurement === measurement);

  const rounds = of('meter_round');
  const handshakes = of('handshake');
  const rejections: Record<string, number> = {};
  for (const s of of('frame_rejected')) rejections[s.tags.reason ?? 'unknown'] = (rejections[s.tags.reason ?? 'unknown'] ?? 0) + 1;

  const byGoal: Record<string, AttackTally> = {};
  const total: AttackTally = { injected: 0, accepted: 0, rejected: 0 };
  for (const s of of('attack')) {
    const goal = s.tags.goal ?? 'none';
    const t = (byGoal[goal] ??= { injected: 0, accepted: 0, rejected: 0 });
    for (const k of ['injected', 'accepted', 'rejected'] as const) {
      t[k] += num(s.fields[k]);
      total[k] += num(s.fields[k]);
    }
  }
  // a row for every goal a campaign can name, availability (jamming, flooding) too, so the rows add up to the totals
  for (const goal of Object.keys(byGoal)) if (!(CAMPAIGN_GOALS as readonly string[]).includes(goal) && goal !== 'none') delete byGoal[goal];

  const channel = { framesOffered: 0, bytesOffered: 0, dropsLoss: 0, dropsQueue: 0, dropsAttack: 0 };
  for (const s of of('channel')) {
    channel.framesOffered += num(s.fields.frames_offered);
    channel.bytesOffered += num(s.fields.bytes_offered);
    channel.dropsLoss += num(s.fields.drops_loss);
    channel.dropsQueue += num(s.fields.drops_queue);
    channel.dropsAttack += num(s.fields.drops_attack);
  }

  const handshakeBytes = handshakes.map((s) => num(s.fields.bytes_up) + num(s.fields.bytes_down));
  const roundMs = latencyStats(values('meter_round', 'duration_ms'));
  return {
    mode: facts.mode,
    bootstrap: facts.bootstrap,
    automation: { ...latencyStats(values('automation_latency', 'latency_ms')), commands: facts.commands, addressed: facts.addressed },
    relay: latencyStats(values('relay_switch', 'latency_ms')),
    bytesPerCommand: facts.commandBytes.length
      ? Math.round(facts.commandBytes.reduce((a, b) => a + b, 0) / facts.commandBytes.length)
      : null,
    meterRounds: {
      rounds: rounds.length,
      p50Ms: roundMs.p50Ms,
      maxMs: roundMs.maxMs,
      missing: rounds.reduce((n, s) => n + num(s.fields.missing), 0),
    },
    firmware: { rollouts: facts.firmwareRollouts, installs: of('firmware_install').length },
    handshakes: {
      count: handshakes.length,
      p50Ms: latencyStats(values('handshake', 'duration_ms')).p50Ms,
      meanBytes: handshakeBytes.length ? Math.round(handshakeBytes.reduce((a, b) => a + b, 0) / handshakeBytes.length) : null,
    },
    storms: of('storm').map((s) => ({
      segment: s.tags.segment ?? s.tags.dc ?? '?',
      tns: num(s.fields.tns),
      measuredS: round(num(s.fields.duration_s), 2)!,
      boundS: round(num(s.fields.bound_s), 2)!,
      bytes: num(s.fields.bytes),
    })),
    attacks: { ...total, byGoal },
    violations: (facts.violations ?? []).slice(0, 100),
    rejections,
    channel,
  };
}
