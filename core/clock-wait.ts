import { VirtualClock, type Clock } from './clock';

export class WaitTimeout extends Error {
  constructor(what: string, ms: number, clock: Clock) {
    super(`${what}: nothing within ${ms} ms (${clock.kind} clock)`);
    this.name = 'WaitTimeout';
  }
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
    return clock instanceof VirtualClock ? await clock.drive(first) : await first;
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
