/**
 * Runs a scenario's campaigns against one mode and tallies their outcomes per goal: frames the
 * attackers put on the wire (injected, replayed, altered), the nodes' refusals of those frames,
 * and the goal oracle's violations (accepted). Every attacker frame carries an attack label
 * `<campaign>:<goal>[:<step>]` across the wire and relays, so a refusal is attributed exactly.
 */
import type { EmulatedNetwork } from '../../channel/emulated-network';
import type { Topology } from '../../core/topology';
import { cryptoBackend } from '../../nodes/crypto';
import type { GoalOracle } from '../../nodes/oracle/goal-oracle';
import type { ModeName } from '../../nodes/mode';
import type { Clock } from '../../core/clock';
import type { Metrics, Sample } from '../../core/metrics';
import type { Random } from '../../core/random';
import { Attacker } from '../attack/attacker';
import type { RunnableMode } from '../runner/mode-factory';
import type { Schedule } from '../runner/schedule';
import type { CampaignApi, CampaignModule } from './campaign-api';
import type { LoadedCampaign } from './load';
import type { CampaignGoal } from './schema';
import { runTimeline } from './timeline';

export interface CampaignContext {
  readonly mode: RunnableMode;
  readonly modeName: ModeName;
  readonly network: EmulatedNetwork;
  readonly clock: Clock;
  readonly oracle: GoalOracle;
  readonly metrics: Metrics;
  readonly topology: Topology;
  /** The run's seeded generator; campaigns fork their own streams. */
  readonly random: Random;
  readonly log?: (line: string) => void;
}

interface Tally {
  injected: number;
  accepted: number;
  rejected: number;
}

const TICK_MS = 1_000;

const labelOf = (attack: string) => attack.split(':').slice(0, 2).join(':');
const zero = (): Tally => ({ injected: 0, accepted: 0, rejected: 0 });

export class CampaignRunner {
  private readonly attackers = new Map<string, Attacker>();
  /** Refusals of attacker frames, by label. */
  private readonly rejections = new Map<string, number>();
  /** Frames each campaign interceptor injected or altered (kept after it is removed). */
  private readonly interceptorCounts = new Map<string, number>();
  private readonly reported = new Map<string, Tally>();
  private ticker?: { cancel(): void };
  private startedAt = 0;

  /** Violations campaigns reported themselves (breach), by label. */
  private readonly breaches = new Map<string, number>();

  private constructor(
    private readonly campaigns: readonly LoadedCampaign[],
    private readonly ctx: CampaignContext,
  ) {}

  static create(campaigns: readonly LoadedCampaign[], ctx: CampaignContext): CampaignRunner {
    return new CampaignRunner(campaigns, ctx);
  }

  /** Frames all attackers put on the wire so far. */
  get injected(): number {
    let n = 0;
    for (const a of this.attackers.values()) n += a.injected;
    for (const id of this.interceptorCounts.keys()) n += this.interceptorFrames(id);
    return n;
  }

  /** The attacker of one campaign and goal; its frames carry the label `<campaign>:<goal>`. */
  attacker(campaign: string, goal: CampaignGoal): Attacker {
    const label = `${campaign}:${goal}`;
    let a = this.attackers.get(label);
    if (!a) {
      const keysOf = this.ctx.mode.keysOf?.bind(this.ctx.mode);
      a = new Attacker({ control: this.ctx.network.control, crypto: cryptoBackend('node'), name: label, ...(keysOf ? { keysOf } : {}) });
      this.attackers.set(label, a);
    }
    return a;
  }

  start(schedule: Schedule): void {
    this.startedAt = this.ctx.clock.now();
    for (const c of this.campaigns) {
      if ('timeline' in c) runTimeline(c.name, c.timeline, schedule, this, this.ctx);
      else void this.runModule(c.name, c.module);
    }
    if (this.campaigns.length) this.tick();
  }

  /** Counts refusals of attacker frames; the runner passes every sample of the mode through here. */
  observe(sample: Sample): void {
    if (sample.measurement !== 'frame_rejected' || !sample.tags.attack) return;
    const label = labelOf(sample.tags.attack);
    this.rejections.set(label, (this.rejections.get(label) ?? 0) + 1);
  }

  /** Counts what a campaign interceptor (id `<campaign>:<goal>:<step>`) puts on the wire. */
  trackInterceptor(id: string): void {
    this.interceptorCounts.set(id, 0);
  }

  /** Emits the last tallies; violations are reported even in a run without campaigns. */
  finish(): void {
    this.ticker?.cancel();
    this.emit();
  }

  private async runModule(name: string, module: CampaignModule): Promise<void> {
    const { clock } = this.ctx;
    const api: CampaignApi = {
      name,
      modeName: this.ctx.modeName,
      mode: this.ctx.mode,
      topology: this.ctx.topology,
      clock,
      attacker: (goal) => this.attacker(name, goal),
      at: (t) => clock.sleep(this.startedAt + t - clock.now()),
      sleep: (ms) => clock.sleep(ms),
      breach: (goal, detail) => {
        const label = `${name}:${goal}`;
        this.breaches.set(label, (this.breaches.get(label) ?? 0) + 1);
        this.ctx.log?.(`campaign ${name}: BREACH of ${goal}: ${detail}`);
      },
      log: (message) => this.ctx.log?.(`campaign ${name}: ${message}`),
    };
    try {
      await module(api);
    } catch (err) {
      this.ctx.log?.(`campaign ${name} failed: ${(err as Error).stack ?? err}`);
    }
  }

  private tick(): void {
    this.ticker = this.ctx.clock.setTimer(TICK_MS, () => {
      this.emit();
      this.tick();
    });
  }

  private interceptorFrames(id: string): number {
    const info = this.ctx.network.control.interceptor(id);
    if (info) this.interceptorCounts.set(id, info.stats.injected + info.stats.tampered);
    return this.interceptorCounts.get(id) ?? 0;
  }

  /** Emits, per campaign and goal, the `attack` sample of what changed since the last one. */
  private emit(): void {
    const now = new Map<string, Tally>();
    const at = (label: string) => {
      let t = now.get(label);
      if (!t) now.set(label, (t = zero()));
      return t;
    };
    for (const [label, attacker] of this.attackers) at(label).injected += attacker.injected;
    for (const id of this.interceptorCounts.keys()) at(labelOf(id)).injected += this.interceptorFrames(id);
    for (const v of this.ctx.oracle.violations) at(v.attack ? labelOf(v.attack) : `unattributed:${v.goal}`).accepted++;
    for (const [label, rejected] of this.rejections) at(label).rejected = rejected;
    for (const [label, n] of this.breaches) at(label).accepted += n;
    for (const [label, t] of now) {
      const before = this.reported.get(label) ?? zero();
      const delta = {
        injected: t.injected - before.injected,
        accepted: t.accepted - before.accepted,
        rejected: t.rejected - before.rejected,
      };
      if (delta.injected === 0 && delta.accepted === 0 && delta.rejected === 0) continue;
      const [campaign, goal] = label.split(':');
      this.ctx.metrics.emit('attack', delta, { goal: goal!, attack: campaign! });
      this.reported.set(label, t);
    }
  }
}
