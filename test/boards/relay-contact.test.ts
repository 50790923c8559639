/**
 * The virtual relay's contact follows its coil in the order it was driven, whatever order the
 * clock's timers fire in: node's timers (a RealClock) can fire out of order when the event loop
 * runs late, and a reset's release firing after the close that followed it left the contact open
 * under a driven coil (the board compliance test on a loaded machine).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock, type Clock, type TimerHandle } from '../../core/clock';
import { Random } from '../../core/random';
import { RelayContact } from '../../nodes/boards/virtual/relay-contact';

/** A clock whose timers fire only when the test says, in the order it says. */
function heldClock(): Clock & { timers: Array<() => void> } {
  const clock = new VirtualClock();
  const timers: Array<() => void> = [];
  return Object.assign(Object.create(clock) as VirtualClock, {
    timers,
    setTimer(_delayMs: number, fn: () => void): TimerHandle {
      timers.push(fn);
      return { cancel() {} };
    },
  });
}

describe('the virtual relay’s contact', () => {
  it('ends where the coil was last driven when the actuations’ timers fire in reverse', () => {
    const clock = heldClock();
    const seen: number[] = [];
    const relay = new RelayContact(clock, new Random('relay'), {}, (level) => seen.push(level));
    relay.drive(1);
    clock.timers[0]!();
    relay.drive(0); // a reset: every output low
    relay.drive(1); // the host closes it again
    expect(clock.timers).toHaveLength(3);
    // the close's timer first, then the reset's release
    clock.timers[2]!();
    clock.timers[1]!();
    expect(seen).toEqual([1, 0, 1]);
    expect(relay.contact).toBe(1);
  });

  it('follows its coil in time on a virtual clock', async () => {
    const clock = new VirtualClock();
    const seen: Array<[number, number]> = [];
    const relay = new RelayContact(clock, new Random('relay'), { closeMs: 10, openMs: 5 }, (level) => seen.push([level, clock.now()]));
    relay.drive(1);
    await clock.advance(20);
    relay.drive(0);
    await clock.advance(20);
    expect(seen).toEqual([
      [1, 10],
      [0, 25],
    ]);
  });
});
