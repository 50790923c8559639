import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { nextEvent, waitOnClock } from '../../core/clock-wait';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import type { RelayChange, RelayTimeout, StatusChange } from '../../nodes/boards/board';
import { PIN_MODE } from '../../nodes/boards/firmata-constants';
import { VirtualBoard, type VirtualDeviceSpec } from '../../nodes/boards/virtual-board';

const boards: VirtualBoard[] = [];
afterEach(async () => {
  await Promise.all(boards.splice(0).map((b) => b.close()));
});

function board(device: VirtualDeviceSpec, timing = {}) {
  const clock = new VirtualClock();
  const recorder = new SampleRecorder();
  const b = new VirtualBoard(
    { kind: 'virtual', device: { load: null, bootMs: 50, ...device }, timing },
    { tn: 'tn1.001', clock, random: new Random('reset'), metrics: recorder.metrics(clock) },
  );
  boards.push(b);
  return { clock, recorder, board: b };
}

async function switched(clock: VirtualClock, b: VirtualBoard, closed: boolean): Promise<RelayChange> {
  const change = nextEvent<RelayChange>(
    (l) => b.onRelayChange(l),
    (c) => c.closed === closed,
  );
  expect(b.switchRelay(closed, { sentAt: clock.now(), receivedAt: clock.now() })).toBe(true);
  return waitOnClock(clock, change, 1_000, `relay ${closed ? 'closed' : 'open'}`);
}

describe('a board that resets with its port open', () => {
  it('is noticed: status reset, the feedback pin made an input before the relay is driven again, the relay restored, `board` samples', async () => {
    // The relay line wired straight back to the feedback pin (no operate time): any output
    // driven before the feedback pin is an input again would short it.
    const { clock, recorder, board: b } = board({ closeMs: 0, openMs: 0, load: { meanW: 3_600, dailySwing: 0, noise: 0 } });
    expect(await waitOnClock(clock, b.ready(), 1_000, 'attach')).toBe('attached');
    await switched(clock, b, true);
    const statuses: StatusChange[] = [];
    b.onStatus((c) => statuses.push(c));
    const pulsesBefore = b.readMeter().pulses;

    b.device.reset();
    await waitOnClock(
      clock,
      nextEvent<StatusChange>(
        (l) => b.onStatus(l),
        (c) => c.status === 'attached',
      ),
      5_000,
      'attached again',
    );
    expect(statuses.map((c) => [c.status, c.reattached])).toEqual([
      ['reset', false],
      ['attached', true],
    ]);
    await clock.advance(50);
    expect(b.device.shorts).toBe(0);
    expect(b.device.pinMode(8)).toBe(PIN_MODE.INPUT);
    expect(b.device.pinMode(2)).toBe(PIN_MODE.INPUT);
    expect(b.device.relayClosed).toBe(true);
    expect(b.relayState()).toBe(true);
    expect(recorder.select('board', { tn: 'tn1.001' }).map((s) => [s.tags.status, s.fields.up])).toEqual([
      ['attached', 1],
      ['reset', 0],
      ['reattached', 1],
    ]);
    expect(String(recorder.select('board', { status: 'reset' })[0]?.fields.error)).toMatch(/announced its firmware again unasked/);

    // It works as before: the relay switches, and S0 pulses are counted again.
    await switched(clock, b, false);
    await clock.advance(3_000);
    expect(b.readMeter().pulses).toBeGreaterThan(pulsesBefore);
    expect(recorder.select('relay_timeout')).toEqual([]);
  });

  it('takes a command given while it sets its pins up again as the state to restore', async () => {
    const { clock, board: b } = board({});
    await waitOnClock(clock, b.ready(), 1_000, 'attach');
    await switched(clock, b, true);
    const resetSeen = nextEvent<StatusChange>(
      (l) => b.onStatus(l),
      (c) => c.status === 'reset',
    );
    b.device.reset();
    await waitOnClock(clock, resetSeen, 1_000, 'reset noticed');
    expect(b.status()).toBe('reset');
    expect(b.switchRelay(false)).toBe(false);
    await clock.advance(200);
    expect(b.status()).toBe('attached');
    expect(b.device.relayClosed).toBe(false);
    expect(b.relayState()).toBe(false);
  });
});

describe('a relay switch whose feedback never comes', () => {
  it('times out after the feedback timeout and is counted, not reported as a switch', async () => {
    const { clock, recorder, board: b } = board({}, { feedbackTimeoutMs: 300 });
    await waitOnClock(clock, b.ready(), 1_000, 'attach');
    await switched(clock, b, true);
    b.device.feedbackWireCut = true;
    const timeouts: RelayTimeout[] = [];
    b.onRelayTimeout((t) => timeouts.push(t));
    const issuedAt = clock.now();
    expect(b.switchRelay(false, { sentAt: issuedAt - 5, receivedAt: issuedAt - 2 })).toBe(true);
    await clock.advance(299);
    expect(timeouts).toEqual([]);
    await clock.advance(2);
    expect(timeouts).toEqual([
      { closed: false, issuedAt, detectedAt: issuedAt + 300, timing: { sentAt: issuedAt - 5, receivedAt: issuedAt - 2 } },
    ]);
    expect(recorder.select('relay_timeout').map((s) => [s.tags.tn, s.fields])).toEqual([
      ['tn1.001', { count: 1, state: false, timeout_ms: 300 }],
    ]);
    expect(recorder.select('relay_switch').filter((s) => s.fields.state === false)).toEqual([]);
    expect(b.relayState()).toBe(true);
  });

  it('does not time out a switch whose feedback came', async () => {
    const { clock, recorder, board: b } = board({}, { feedbackTimeoutMs: 300 });
    await waitOnClock(clock, b.ready(), 1_000, 'attach');
    await switched(clock, b, true);
    await switched(clock, b, false);
    await clock.advance(1_000);
    expect(recorder.select('relay_switch')).toHaveLength(2);
    expect(recorder.select('relay_timeout')).toEqual([]);
  });
});
