import { TimeHeap, type Timed } from './time-heap';

/**
 * Time as nodes see it. Nodes never read the wall clock or call setTimeout themselves: they are
 * handed a Clock, so the same code runs against real boards (RealClock) and, without them, on a
 * deterministic VirtualClock that runs hours of simulated time in minutes.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  readonly kind: 'real' | 'virtual';
  /**
   * Milliseconds on this clock's timeline (fractional). A RealClock reads Unix epoch time with
   * sub-millisecond resolution, so processes on one host share a timeline and a latency can be
   * taken between a DC in one process and a TN in another. A VirtualClock starts at 0.
   */
  now(): number;
  /** Runs fn once, delayMs from now (negative delays count as 0). */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  sleep(delayMs: number): Promise<void>;
  /**
   * Marks asynchronous work the clock cannot see (a promise chain, a stream pipeline) as in
   * flight. A virtual clock does not advance while any hold is open; call the returned function
   * when the work is done. Real clocks ignore holds.
   */
  hold(): () => void;
}

export class RealClock implements Clock {
  readonly kind = 'real' as const;

  now(): number {
    return performance.timeOrigin + performance.now();
  }

  /**
   * Never fires before delayMs have passed: Node's timers count whole milliseconds of a cached
   * loop time and may fire up to 1 ms early, so an early timer is armed again for the rest.
   */
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const due = this.now() + Math.max(0, delayMs);
    const fire = (): void => {
      const left = due - this.now();
      if (left > 0) handle = setTimeout(fire, Math.ceil(left));
      else fn();
    };
    let handle = setTimeout(fire, Math.ceil(Math.max(0, delayMs)));
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayMs, resolve));
  }

  hold(): () => void {
    return () => {};
  }
}

/**
 * A virtual timer is its own handle: one object per setTimer, its cancel() on the prototype (the
 * clock sets tens of millions of timers in a utility-scale run, issue 13).
 */
class ScheduledTimer implements Timed, TimerHandle {
  cancelled = false;

  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
    private readonly clock: VirtualClock,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.clock.touch();
  }
}

const settled = Promise.resolve();

/**
 * A discrete-event clock. Time moves only inside run(): it fires timers in (time, insertion)
 * order and, between two timers, lets the real event loop settle so that stream and promise
 * callbacks triggered by one event (a TLS record being processed, a Firmata message being parsed)
 * finish before virtual time moves on. Deterministic for a given sequence of setTimer calls.
 */
export class VirtualClock implements Clock {
  readonly kind = 'virtual' as const;
  private t = 0;
  private seq = 0;
  private readonly heap = new TimeHeap<ScheduledTimer>();
  private holds = 0;
  private activity = 0;
  private running = false;
  private firedCount = 0;

  now(): number {
    return this.t;
  }

  /** Timers fired so far: the simulation's events (perf:scale reports them per second). */
  get fired(): number {
    return this.firedCount;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer = new ScheduledTimer(this.t + Math.max(0, delayMs), this.seq++, fn, this);
    this.heap.push(timer);
    this.activity++;
    return timer;
  }

  /** Something changed the clock's work (a timer cancelled): the current settle() is not quiet. */
  touch(): void {
    this.activity++;
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(delayMs, resolve));
  }

  hold(): () => void {
    this.holds++;
    this.activity++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.activity++;
    };
  }

  /** Time of the next pending timer, or undefined when nothing is scheduled. */
  nextTimerAt(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.at;
  }

  /**
   * Fires timers until none is left at or before `until` (all of them when until is omitted),
   * then leaves the clock at `until`. Resolves when the event loop has settled.
   */
  async run(until?: number): Promise<void> {
    await this.loop(() => false, until === undefined ? undefined : (at) => at > until);
    if (until !== undefined) this.t = Math.max(this.t, until);
  }

  /**
   * Fires the timers due strictly before `horizon`, settling as run() does, and leaves the clock
   * where the last one put it: a window of a partitioned run (issue 13). A partition's clock must
   * not reach the horizon, since a frame from another partition may still arrive at exactly it.
   */
  async runBefore(horizon: number): Promise<void> {
    await this.loop(
      () => false,
      (at) => at >= horizon,
    );
  }

  /** Runs for `ms` of virtual time from now. */
  advance(ms: number): Promise<void> {
    return this.run(this.t + ms);
  }

  /**
   * Drives the clock until `work` settles and returns its result: how a runner or a test awaits
   * something that needs simulated time to pass. Throws if the work is still pending when no
   * timer is left, since nothing could ever complete it.
   */
  async drive<T>(work: Promise<T>): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    work.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    // Without a horizon the loop ends only when the work settled or no timer is left.
    await this.loop(() => outcome !== undefined);
    if (!outcome) throw new Error('VirtualClock.drive: the awaited work is still pending and no timer is left to complete it');
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /**
   * Fires timers in order until `done()`, the next one is `beyond` the horizon, or no timer is
   * left, settling as settle() does before each. Callbacks rather than an async loop over
   * settle(): its awaits allocated promises and closures on every turn, the most of any code in a
   * run (issue 13: tens of millions of events; an allocation profile put 40 % of a run's bytes
   * there). The order is settle()'s: each turn's quiet check, then the timer in a microtask, where
   * it ran after the await, so what it queues (process.nextTick, promise reactions) runs as before.
   */
  private loop(done: () => boolean, beyond?: (at: number) => boolean): Promise<void> {
    if (this.running) return Promise.reject(new Error('VirtualClock is already being run (run/runBefore/drive cannot nest)'));
    this.running = true;
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        this.running = false;
        resolve();
      };
      const fire = (): void => {
        try {
          if (done()) return finish();
          this.dropCancelled();
          const next = this.heap.peek();
          if (!next || beyond?.(next.at)) return finish();
          this.heap.pop();
          this.t = Math.max(this.t, next.at);
          this.firedCount++;
          next.fn();
        } catch (error) {
          this.running = false;
          return reject(error);
        }
        awaitQuiet();
      };
      // a reaction to a settled promise: Node's queueMicrotask() allocates an async resource per call
      const awaitQuiet = this.quietWaiter(() => void settled.then(fire));
      awaitQuiet();
    });
  }

  /** Waits until two consecutive event-loop turns pass with no timer activity and no hold open. */
  settle(): Promise<void> {
    return new Promise((resolve) => this.quietWaiter(resolve)());
  }

  /**
   * A function that, each time it is called, waits for two consecutive event-loop turns with no
   * timer activity and no hold open, then calls `then`: settle(), and the loop before each timer.
   * One closure for all of a loop's waits: it waits once per event (issue 13).
   */
  private quietWaiter(then: () => void): () => void {
    let quietTurns = 0;
    let mark = 0;
    const turn = (): void => {
      quietTurns = mark === this.activity && this.holds === 0 ? quietTurns + 1 : 0;
      mark = this.activity;
      if (quietTurns < 2) setImmediate(turn);
      else then();
    };
    return () => {
      quietTurns = 0;
      mark = this.activity;
      setImmediate(turn);
    };
  }

  private dropCancelled(): void {
    while (this.heap.peek()?.cancelled) this.heap.pop();
  }
}
