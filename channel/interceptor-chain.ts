import type { Clock, TimerHandle } from '../core/clock';
import type { Random } from '../core/random';
import type { FrameClassifier, WireFrame } from './frame';
import {
  compileMatcher,
  InterceptorConfigError,
  isStarting,
  isStopping,
  type ForgedFrame,
  type FrameTest,
  type Interceptor,
  type InterceptorContext,
  type InterceptorInfo,
  type InterceptorStats,
  type Matcher,
} from './interceptor';

/** What the chain asks of the wire around it. */
export interface ChainWire {
  readonly clock: Clock;
  /** The run's generator: each interceptor forks its streams from it by its id. */
  readonly random: Random;
  readonly classify: FrameClassifier;
  /** A frame an interceptor passes on (re-addressed, altered) must fit its link like any other: undefined (counted) when not. */
  readmit(frame: WireFrame): WireFrame | undefined;
  /** Past the last interceptor: the frame goes onto its link's medium. */
  transmit(frame: WireFrame): void;
  /** An interceptor's forged frame enters the wire after chain position `afterOrder`; false when refused. */
  inject(forged: ForgedFrame, afterOrder: number, origin: string): boolean;
  /** An interceptor removed the frame from the wire (drops_attack). */
  dropped(frame: WireFrame): void;
  /** Occupies the media of every link direction the matcher covers. */
  jam(match: Matcher, durationMs: number, owner: string): void;
}

export interface StageOptions {
  readonly id: string;
  readonly match?: Matcher | undefined;
  readonly probability?: number | undefined;
}

interface Stage {
  readonly id: string;
  readonly type: string;
  readonly order: number;
  readonly match: Matcher;
  readonly test: FrameTest;
  readonly probability: number;
  readonly fire: Random;
  readonly config: unknown;
  readonly interceptor: Interceptor;
  readonly stats: InterceptorStats;
  readonly timers: Set<TimerHandle>;
  ctx: InterceptorContext;
  removed: boolean;
}

/**
 * The interceptors of a channel in the order they were added (toxiproxy's chain of toxics). A
 * frame visits each whose matcher selects it and whose probability fires; the first that acts on
 * it decides its fate through its context, and what it passes on continues down the chain and
 * then onto the medium. A faulty interceptor never takes the wire down.
 */
export class InterceptorChain {
  private stages: Stage[] = [];
  private nextOrder = 0;
  private nextId = 0;

  constructor(private readonly wire: ChainWire) {}

  /** An id for an interceptor of this type that was not given one. */
  newId(type: string): string {
    return `${type}-${++this.nextId}`;
  }

  has(id: string): boolean {
    return this.stages.some((s) => s.id === id);
  }

  /** Appends an interceptor; its id must be new. Throws InterceptorConfigError for a bad probability. */
  add(interceptor: Interceptor, type: string, config: unknown, options: StageOptions): InterceptorInfo {
    const { id } = options;
    if (this.has(id)) throw new Error(`interceptor chain: id "${id}" is taken`);
    const match = options.match ?? {};
    const probability = options.probability ?? 1;
    if (!(probability >= 0 && probability <= 1))
      throw new InterceptorConfigError(`probability: expected a number from 0 to 1, got ${String(probability)}`);
    const stage = {
      id,
      type,
      order: this.nextOrder++,
      match,
      test: compileMatcher(match),
      probability,
      fire: this.wire.random.fork(`interceptor/${id}/fire`),
      config,
      interceptor,
      stats: { matched: 0, fired: 0, forwarded: 0, dropped: 0, injected: 0, tampered: 0 },
      timers: new Set<TimerHandle>(),
      removed: false,
    } as Stage;
    stage.ctx = this.contextFor(stage);
    this.stages.push(stage);
    if (isStarting(interceptor)) interceptor.start(stage.ctx);
    return info(stage);
  }

  /** Removes an interceptor; frames it holds are released. False when unknown. */
  remove(id: string): boolean {
    const stage = this.stages.find((s) => s.id === id);
    if (!stage) return false;
    this.removeStage(stage);
    return true;
  }

  clear(): void {
    for (const s of [...this.stages]) this.removeStage(s);
  }

  list(): InterceptorInfo[] {
    return this.stages.map(info);
  }

  info(id: string): InterceptorInfo | undefined {
    const stage = this.stages.find((s) => s.id === id);
    return stage && info(stage);
  }

  /** Counts a frame that the jam of `owner` destroyed on the air. */
  countJamDrop(owner: string | undefined): void {
    const stage = this.stages.find((s) => s.id === owner);
    if (stage) stage.stats.dropped++;
  }

  /** Runs the frame through the interceptors ordered after `afterOrder`, then onto the medium. */
  pass(frame: WireFrame, afterOrder: number): void {
    for (const s of this.stages) {
      if (s.order <= afterOrder || s.id === frame.origin) continue;
      if (!s.test(frame)) continue;
      s.stats.matched++;
      if (s.probability < 1 && !s.fire.chance(s.probability)) continue;
      s.stats.fired++;
      try {
        s.interceptor.onFrame(frame, s.ctx);
      } catch {
        // A broken interceptor passes the frame on rather than silently eating it.
        this.pass(frame, s.order);
      }
      return;
    }
    this.wire.transmit(frame);
  }

  private removeStage(stage: Stage): void {
    if (stage.removed) return;
    stage.removed = true;
    this.stages = this.stages.filter((s) => s !== stage);
    if (isStopping(stage.interceptor)) {
      try {
        stage.interceptor.stop(stage.ctx);
      } catch {
        // Removal must succeed even if the interceptor's cleanup fails.
      }
    }
    for (const t of stage.timers) t.cancel();
    stage.timers.clear();
  }

  private contextFor(stage: Stage): InterceptorContext {
    const { wire } = this;
    const stats = stage.stats;
    const ctx: InterceptorContext = {
      id: stage.id,
      random: wire.random.fork(`interceptor/${stage.id}`),
      now: () => wire.clock.now(),
      forward: (frame) => {
        const f = wire.readmit(frame);
        if (!f) return;
        stats.forwarded++;
        // a frame an attack acted on (held, re-addressed, altered, let through) carries its label
        this.pass(f.attack ? f : { ...f, attack: stage.id }, stage.order);
      },
      tamper: (frame, bytes) => {
        stats.tampered++;
        ctx.forward({ ...frame, bytes, className: wire.classify(bytes) });
      },
      drop: (frame) => {
        stats.dropped++;
        wire.dropped(frame);
      },
      inject: (forged) => {
        if (wire.inject(forged, stage.order, stage.id)) stats.injected++;
      },
      schedule: (delayMs, fn) => {
        const handle = wire.clock.setTimer(delayMs, () => {
          stage.timers.delete(handle);
          try {
            fn();
          } catch {
            // Same rule as onFrame: an interceptor's fault stays inside it.
          }
        });
        stage.timers.add(handle);
        return {
          cancel: () => {
            stage.timers.delete(handle);
            handle.cancel();
          },
        };
      },
      jam: (durationMs) => wire.jam(stage.match, durationMs, stage.id),
    };
    return ctx;
  }
}

const info = (s: Stage): InterceptorInfo => ({
  id: s.id,
  type: s.type,
  match: s.match,
  probability: s.probability,
  config: s.config,
  stats: { ...s.stats },
});
