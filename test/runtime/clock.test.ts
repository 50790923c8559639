import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../core/clock';

describe('VirtualClock', () => {
  it('fires timers in time order, then insertion order, and stops at the horizon', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
    clock.setTimer(20, () => fired.push(`c@${clock.now()}`));
    clock.setTimer(50, () => fired.push(`late@${clock.now()}`));
    await clock.run(30);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    await clock.run();
    expect(fired.at(-1)).toBe('late@50');
  });

  it('does not fire cancelled timers', async () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimer(5, () => (fired = true)).cancel();
    await clock.run();
    expect(fired).toBe(false);
  });

  it('lets stream callbacks caused by one event finish before time moves on', async () => {
    const clock = new VirtualClock();
    const pipe = new PassThrough();
    const seen: number[] = [];
    pipe.on('data', () => clock.setTimer(1, () => seen.push(clock.now())));
    clock.setTimer(10, () => pipe.write('x'));
    clock.setTimer(100, () => seen.push(clock.now()));
    await clock.run();
    expect(seen).toEqual([11, 100]);
  });

  it('waits for an open hold before advancing', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.setTimer(1, () => {
      const release = clock.hold();
      setTimeout(() => {
        order.push('async work done');
        clock.setTimer(0, () => order.push(`follow-up@${clock.now()}`));
        release();
      }, 20);
    });
    clock.setTimer(2, () => order.push(`next@${clock.now()}`));
    await clock.run();
    expect(order).toEqual(['async work done', 'follow-up@1', 'next@2']);
  });
});

describe('VirtualClock.runBefore (a window of a partitioned run)', () => {
  it('fires timers strictly before the horizon in order, and leaves time at the last one fired', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(10, () => {
      fired.push(`a@${clock.now()}`);
      // Work an event schedules inside the window runs in it too.
      clock.setTimer(5, () => fired.push(`a2@${clock.now()}`));
    });
    clock.setTimer(20, () => fired.push(`c@${clock.now()}`));
    clock.setTimer(30, () => fired.push(`at-horizon@${clock.now()}`));
    await clock.runBefore(30);
    expect(fired).toEqual(['a@10', 'a2@15', 'b@20', 'c@20']);
    expect(clock.now()).toBe(20);
    expect(clock.nextTimerAt()).toBe(30);
    // A delivery handed over at the barrier for exactly the horizon is still in the future.
    clock.setTimer(30 - clock.now(), () => fired.push(`handed@${clock.now()}`));
    await clock.runBefore(30.5);
    expect(fired.slice(4)).toEqual(['at-horizon@30', 'handed@30']);
    expect(clock.now()).toBe(30);
  });

  it('does not move time when nothing is due before the horizon', async () => {
    const clock = new VirtualClock();
    await clock.runBefore(100);
    expect(clock.now()).toBe(0);
    clock.setTimer(100, () => {});
    await clock.runBefore(100);
    expect(clock.now()).toBe(0);
    expect(clock.fired).toBe(0);
  });

  it('lets the event loop settle between timers, as run() does', async () => {
    const clock = new VirtualClock();
    const pipe = new PassThrough();
    const seen: number[] = [];
    pipe.on('data', () => clock.setTimer(1, () => seen.push(clock.now())));
    clock.setTimer(10, () => pipe.write('x'));
    await clock.runBefore(12);
    expect(seen).toEqual([11]);
  });

  it('refuses to nest with run, drive or another runBefore', async () => {
    const clock = new VirtualClock();
    let inner: unknown;
    clock.setTimer(1, () => {
      clock.runBefore(5).catch((error: unknown) => (inner = error));
    });
    await clock.runBefore(5);
    expect(String(inner)).toMatch(/cannot nest/);
    const outer = clock.run(10);
    await expect(clock.runBefore(20)).rejects.toThrow(/cannot nest/);
    await outer;
  });
});

describe('RealClock', () => {
  it('measures elapsed real time and fires timers', async () => {
    const clock = new RealClock();
    const start = clock.now();
    await clock.sleep(15);
    expect(clock.now() - start).toBeGreaterThanOrEqual(14);
  });

  it('never fires a timer before its delay, fractional delays included', async () => {
    const clock = new RealClock();
    const early: number[] = [];
    await Promise.all(
      [0.3, 1, 1.5, 2.7, 3.2, 5.9, 7.01, 10.5].map(
        (d) =>
          new Promise<void>((resolve) => {
            const due = clock.now() + d;
            clock.setTimer(d, () => {
              if (clock.now() < due) early.push(due - clock.now());
              resolve();
            });
          }),
      ),
    );
    expect(early).toEqual([]);
  });
});

describe('VirtualClock.drive', () => {
  it('advances time exactly as far as the awaited work needs and returns its value', async () => {
    const clock = new VirtualClock();
    clock.setTimer(10_000, () => {});
    const value = await clock.drive(clock.sleep(250).then(() => clock.now()));
    expect(value).toBe(250);
    expect(clock.now()).toBe(250);
  });

  it("rejects with the work's error", async () => {
    const clock = new VirtualClock();
    await expect(clock.drive(clock.sleep(5).then(() => Promise.reject(new Error('boom'))))).rejects.toThrow('boom');
  });

  it('reports a deadlock instead of hanging when nothing can complete the work', async () => {
    const clock = new VirtualClock();
    await expect(clock.drive(new Promise(() => {}))).rejects.toThrow(/no timer is left/);
  });
});
