/**
 * Runs a scenario's campaigns against one mode and tallies their outcomes per goal: frames the
 * attackers put on the wire (injected, replayed, altered), the nodes' refusals of those frames,
 * and the goal oracle's violations (accepted). Every attacker frame carries an attack label
 * `<campaign>:<goal>[:<step>]` across the wire and relays, so a refusal is attributed exactly.
 *
 * Every step (and every TypeScript campaign) is awaited: one that throws or rejects is logged
 * and kept, with its campaign and step, for the run's summary, where it fails the run.
 */
import { untilDone } from '../../core/clock-wait';
import type { Sample } from '../../core/metrics';
import { cryptoBackend } from '../../nodes/crypto';
import { Attacker } from '../attack/attacker';
import { emitEvent } from '../runner/run-events';
import type { Schedule } from '../runner/schedule';
import type { CampaignApi, CampaignModule } from './campaign-api';
import type { CampaignGoal } from './goals';
import type { LoadedCampaign } from './load';
import type { CampaignContext, CampaignHost, StepAttribution, StepFailure } from './step';
import { runTimeline } from './timeline';

export type { CampaignContext } from './step';

interface Tally {
  injected: number;
  accepted: number;
  rejected: number;
}

const TICK_MS = 1_000;

const labelOf = (attack: string) => attack.split(':').slice(0, 2).join(':');
const zero = (): Tally => ({ injected: 0, accepted: 0, rejected: 0 });

const describe = ({ campaign, step, kind }: StepAttribution) =>
  step === null ? `campaign ${campaign}` : `campaign ${campaign}, step ${step} (${kind})`;

export class CampaignRunner implements CampaignHost {
  private readonly attackers = new Map<string, Attacker>();
  /** Refusals of attacker frames, by label. */
  private readonly rejections = new Map<string, number>();
  /** Frames each campaign interceptor injected or altered (kept after it is removed). */
  private readonly interceptorCounts = new Map<string, number>();
  private readonly reported = new Map<string, Tally>();
  private ticker?: { cancel(): void };
  private startedAt = 0;
  private get timeScale(): number {
    return this.ctx.timeScale ?? 1;
  }

  /** Violations campaigns reported themselves (breach), by label. */
  private readonly breaches = new Map<string, number>();
  private readonly running = new Set<StepAttribution>();
  private readonly failed: StepFailure[] = [];
  private finished = false;
  /** The checks of campaigns' `until` waits, run after each frame any attacker recorded. */
  private readonly recorded = new Set<() => void>();

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
      a = new Attacker({
        control: this.ctx.network.control,
        crypto: cryptoBackend(this.ctx.crypto ?? 'node'),
        name: label,
        onCompromise: (node) => this.ctx.oracle.compromised(node),
        onRecorded: () => this.recorded.forEach((check) => check()),
        ...(keysOf ? { keysOf } : {}),
      });
      this.attackers.set(label, a);
    }
    return a;
  }

  start(schedule: Schedule): void {
    this.startedAt = this.ctx.clock.now();
    for (const c of this.campaigns) {
      // a zero tally to start from: a timeline that put nothing on the wire and had nothing
      // accepted gives its `attack_accepted` threshold a 0 to check, not "no data"
      if ('timeline' in c)
        this.ctx.metrics.emit('attack', { injected: 0, accepted: 0, rejected: 0 }, { goal: c.timeline.goal, attack: c.name });
      if ('timeline' in c) runTimeline(c.name, c.timeline, schedule, this, this.ctx);
      else this.runModule(c.name, c.module);
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

  runStep(step: StepAttribution, work: () => void | Promise<unknown>): void {
    this.running.add(step);
    emitEvent(this.ctx.metrics, 'campaign-step', `${describe(step)} began`, { campaign: step.campaign });
    // never rejects: a failure is recorded where it happens
    void (async () => {
      try {
        await work();
      } catch (err) {
        this.fail(step, err);
      } finally {
        this.running.delete(step);
      }
    })();
  }

  /**
   * Emits the last tallies (violations are reported even in a run without campaigns) and returns
   * the steps that failed. Steps still running when the run ended are logged, not failed.
   */
  finish(): readonly StepFailure[] {
    this.ticker?.cancel();
    this.emit();
    this.end();
    return [...this.failed];
  }

  /**
   * The run's end, where it comes before its last tallies (nodes in other processes are told to
   * stop, their last samples still to come): steps still running are logged, and what fails from
   * now on is logged, not failed, as in process.
   */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    for (const step of this.running) this.ctx.log?.(`${describe(step)}: still running when the run ended`);
  }

  private fail(step: StepAttribution, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    if (this.finished) {
      this.ctx.log?.(`${describe(step)} failed after the run ended: ${error}`);
      return;
    }
    this.failed.push({ ...step, atMs: this.ctx.clock.now() - this.startedAt, error });
    this.ctx.log?.(`${describe(step)} failed: ${step.step === null && err instanceof Error ? (err.stack ?? error) : error}`);
  }

  private runModule(name: string, module: CampaignModule): void {
    const { clock } = this.ctx;
    const api: CampaignApi = {
      name,
      modeName: this.ctx.modeName,
      mode: this.ctx.mode,
      topology: this.ctx.topology,
      clock,
      attacker: (goal) => this.attacker(name, goal),
      at: (t) => clock.sleep(this.startedAt + t * this.timeScale - clock.now()),
      sleep: (ms) => clock.sleep(ms * this.timeScale),
      until: async (done, { within, what }) => {
        const subscribe = (check: () => void) => {
          this.recorded.add(check);
          return () => this.recorded.delete(check);
        };
        if (await untilDone(clock, subscribe, done, within * this.timeScale)) return true;
        this.ctx.log?.(`campaign ${name}: ${what}: not there within ${within * this.timeScale} ms; going on without it`);
        return false;
      },
      breach: (goal, detail) => {
        // after the run's end (a rollout cut short by the closing), as a step's failure then: logged, not counted
        if (this.finished) return this.ctx.log?.(`campaign ${name}: after the run ended, not counted: ${goal}: ${detail}`);
        const label = `${name}:${goal}`;
        this.breaches.set(label, (this.breaches.get(label) ?? 0) + 1);
        this.ctx.log?.(`campaign ${name}: BREACH of ${goal}: ${detail}`);
      },
      log: (message) => this.ctx.log?.(`campaign ${name}: ${message}`),
    };
    this.runStep({ campaign: name, step: null, kind: 'module' }, () => module(api));
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
