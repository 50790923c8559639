import { VirtualClock, type Clock } from '../runtime/clock';

export class WaitTimeout extends Error {
  constructor(what: string, ms: number, clock: Clock) {
    super(`${what}: nothing within ${ms} ms (${clock.kind} clock)`);
    this.name = 'WaitTimeout';
  }
}

/**
 * Awaits a promise whose progress depends on the clock, for at most timeoutMs of that clock. A
 * VirtualClock is advanced in small steps meanwhile (the caller must not be running it); a real
 * clock just passes. Callers that time things record clock.now() in their own callbacks, since a
 * virtual step may run a little past the moment the promise settled.
 */
export async function waitOnClock<T>(clock: Clock, promise: Promise<T>, timeoutMs: number, what: string, stepMs = 5): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  if (clock instanceof VirtualClock) {
    watched.catch(() => {});
    const deadline = clock.now() + timeoutMs;
    while (!settled && clock.now() < deadline) await clock.advance(Math.min(stepMs, deadline - clock.now()));
    if (!settled) throw new WaitTimeout(what, timeoutMs, clock);
    return watched;
  }
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimer(timeoutMs, () => reject(new WaitTimeout(what, timeoutMs, clock)));
  });
  try {
    return await Promise.race([watched, timeout]);
  } finally {
    timer?.cancel();
  }
}

/** Resolves with the first event a subscribe-style API delivers that matches. */
export function nextEvent<T>(subscribe: (listener: (event: T) => void) => () => void, match: (event: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}
