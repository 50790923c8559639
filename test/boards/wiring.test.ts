import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import { BoardError } from '../../nodes/boards/board';
import { createBoard, type BoardSpec } from '../../nodes/boards/create-board';
import { ARDUINO_UNO } from '../../nodes/boards/layout';
import { resolveWiring, UNO_WIRING } from '../../nodes/boards/wiring';

const deps = () => {
  const clock = new VirtualClock();
  return { tn: 'tn3.007', clock, random: new Random(1), metrics: NO_METRICS };
};

function errorOf(fn: () => unknown): BoardError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BoardError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('TN wiring', () => {
  it('defaults to the Uno wiring: relay D7, feedback D8, S0 D2, LED D13', () => {
    expect(resolveWiring(undefined, { tn: 't', port: 'p' }, ARDUINO_UNO)).toEqual({
      relay: 7,
      feedback: 8,
      s0: 2,
      statusLed: 13,
      analog: null,
      pulsesPerKWh: UNO_WIRING.pulsesPerKWh,
    });
  });

  it('takes analog names and leaves functions unwired with null', () => {
    const w = resolveWiring(
      { analog: 'A0', s0: null, statusLed: null, relay: 'A3', pulsesPerKWh: 500 },
      { tn: 't', port: 'p' },
      ARDUINO_UNO,
    );
    expect(w).toMatchObject({ analog: { pin: 14, channel: 0 }, relay: 17, s0: null, statusLed: null, pulsesPerKWh: 500 });
  });

  it('names the TN, port and pin of a pin used twice', () => {
    const err = errorOf(() => createBoard({ kind: 'virtual', wiring: { relay: 8 } }, deps()));
    expect(err.code).toBe('PIN_IN_USE');
    expect(err.message).toBe('TN tn3.007, port virtual:tn3.007, pin 8: feedback: pin already used by relay');
  });

  it('names a pin the virtual Uno lacks, and a pin that cannot do its job', () => {
    const missing = errorOf(() => createBoard({ kind: 'virtual', wiring: { s0: 25 } }, deps()));
    expect(missing.code).toBe('NO_SUCH_PIN');
    expect(missing.message).toBe('TN tn3.007, port virtual:tn3.007, pin 25: s0: the board (Arduino Uno) has no pin 25 (pins 0..19)');
    const serialPin = errorOf(() => createBoard({ kind: 'virtual', wiring: { relay: 1 } }, deps()));
    expect(serialPin.code).toBe('PIN_MODE');
    expect(serialPin.pin).toBe(1);
    expect(errorOf(() => createBoard({ kind: 'virtual', wiring: { analog: 5 } }, deps())).message).toMatch(
      /analog: pin 5 is not an analog input/,
    );
  });

  it('refuses malformed specs with the field named', () => {
    expect(errorOf(() => createBoard({ kind: 'virtual', wiring: { relay: 'X9' } }, deps())).message).toMatch(
      /relay: "X9" is not a pin number/,
    );
    expect(errorOf(() => createBoard({ kind: 'virtual', wiring: { pulsesPerKWh: 0 } }, deps())).message).toMatch(
      /pulsesPerKWh must be a positive number/,
    );
    expect(errorOf(() => createBoard({ kind: 'real', port: '' }, deps())).code).toBe('BAD_SPEC');
    expect(errorOf(() => createBoard({ kind: 'arduino' } as unknown as BoardSpec, deps())).message).toMatch(/unknown board kind "arduino"/);
  });

  it('checks a real board only on its face until it reports its pins', () => {
    // A Mega has pin 40; whether this board does is known once it answers (see faults.test.ts).
    const board = createBoard({ kind: 'real', port: '/nonexistent/tty', wiring: { relay: 40 } }, deps());
    expect(board.kind).toBe('real');
    return board.close();
  });
});

describe('no board', () => {
  it('follows relay commands at once, costs nothing, and never fails', async () => {
    const d = deps();
    const board = createBoard({ kind: 'none' }, d);
    expect(await board.ready()).toBe('attached');
    const seen: boolean[] = [];
    board.onRelayChange((c) => seen.push(c.closed));
    expect(board.switchRelay(true, { sentAt: 0, receivedAt: 0 })).toBe(true);
    expect(board.switchRelay(true)).toBe(true);
    expect(board.switchRelay(false)).toBe(true);
    expect(seen).toEqual([true, false]);
    expect(board.relayState()).toBe(false);
    expect(board.readMeter().pulses).toBe(0);
    expect(d.clock.nextTimerAt()).toBeUndefined();
    await board.close();
    expect(board.switchRelay(true)).toBe(false);
  });
});
