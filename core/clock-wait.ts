import { VirtualClock, type Clock } from './clock';

export class WaitTimeout extends Error {
  constructor(what: string, ms: number, clock: Clock) {
    super(`${what}: nothing within ${ms} ms (${clock.kind} clock)`);
    this.name = 'WaitTimeout';
  }
}

/** Awaits work that needs the clock to move: a virtual clock is driven until it settles, a real one just waited on. */
export function onClock<T>(clock: Clock, work: Promise<T>): Promise<T> {
  return clock instanceof VirtualClock ? clock.drive(work) : work;
}

/** Lets `ms` of the clock pass: a virtual clock runs its timers up to then, a real one sleeps. */
export async function passTime(clock: Clock, ms: number): Promise<void> {
  if (clock instanceof VirtualClock) await clock.advance(ms);
  else await clock.sleep(ms);
}

/**
 * Awaits a promise whose progress depends on the clock, for at most timeoutMs of that clock. A
 * VirtualClock is driven until the promise settles (the caller must not be running it); a real
 * clock just passes.
 */
export async function waitOnClock<T>(clock: Clock, promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimer(timeoutMs, () => reject(new WaitTimeout(what, timeoutMs, clock)));
  });
  const first = Promise.race([promise, timeout]);
  try {
    return await onClock(clock, first);
  } finally {
    timer?.cancel();
  }
}

/** Checks done() every everyMs of the clock until it holds or withinMs have passed; returns done(). */
export async function pollOnClock(clock: Clock, done: () => boolean, withinMs: number, everyMs: number): Promise<boolean> {
  const deadline = clock.now() + withinMs;
  while (!done() && clock.now() < deadline) await waitOnClock(clock, clock.sleep(everyMs), everyMs + 1_000, 'poll');
  return done();
}

/** Resolves with the first event a subscribe-style API delivers that matches. */
export function nextEvent<T>(
  subscribe: (listener: (event: T) => void) => () => void,
  match: (event: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

/**
 * Waits for `work`, or until `ms` of clock time passed, whichever is first; true when the work
 * finished in time (its failure is thrown). Unlike waitOnClock it never drives a VirtualClock (the
 * caller runs the clock, as a mode's operations expect) and a late work is not an error.
 */
export async function finishWithin(clock: Clock, ms: number, work: Promise<unknown>): Promise<boolean> {
  if (ms <= 0) return false;
  let timer: { cancel(): void } | undefined;
  const late = new Promise<boolean>((resolve) => (timer = clock.setTimer(ms, () => resolve(false))));
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    timer?.cancel();
  }
}

/**
 * Resolves true when `done()` holds, checked at once and after every event a subscribe-style API
 * delivers, or false once `timeoutMs` of clock time passed (or `stop` aborted: its owner closed).
 * Event driven (no polling), so the time it resolves at is the time of the event that completed
 * it; the caller runs the clock.
 */
export function untilDone(
  clock: Clock,
  subscribe: (check: () => void) => () => void,
  done: () => boolean,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    if (done()) return resolve(true);
    if (stop?.aborted) return resolve(false);
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (outcome: boolean) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      unsubscribe?.();
      stop?.removeEventListener('abort', aborted);
      resolve(outcome);
    };
    const aborted = () => finish(false);
    const timer = clock.setTimer(timeoutMs, () => finish(false));
    stop?.addEventListener('abort', aborted, { once: true });
    const off = subscribe(() => {
      if (done()) finish(true);
    });
    if (settled) off();
    else unsubscribe = off;
  });
}
