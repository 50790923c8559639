import { BoardError } from './board';
import { PIN_MODE, type PinMode } from './firmata-constants';
import { ARDUINO_UNO, pinOfAnalogChannel, supports, type BoardLayout } from './layout';

/**
 * Which board pin does what at one TN, from the scenario. Pins are numbers or analog names
 * (`A0`..`A5`, resolved with the Uno's mapping; give plain numbers on other boards).
 * `null` leaves an optional function unwired.
 */
export interface WiringSpec {
  readonly relay?: PinRef | undefined;
  /** Input wired from the relay output (or its auxiliary contact). */
  readonly feedback?: PinRef | undefined;
  readonly statusLed?: PinRef | null | undefined;
  readonly s0?: PinRef | null | undefined;
  /** Analog channel, e.g. `A0`. */
  readonly analog?: PinRef | null | undefined;
  readonly pulsesPerKWh?: number | undefined;
}

export type PinRef = number | string;

export interface Wiring {
  readonly relay: number;
  readonly feedback: number;
  readonly statusLed: number | null;
  readonly s0: number | null;
  readonly analog: { readonly pin: number; readonly channel: number } | null;
  readonly pulsesPerKWh: number;
}

/**
 * Arduino Uno defaults: relay on D7, its feedback on D8, the S0 input on D2 (INT0, the usual pulse
 * counter pin), status on the on-board LED D13, no analog input, 1000 impulses per kWh (the common
 * S0 constant of household meters).
 */
export const UNO_WIRING: WiringSpec = {
  relay: 7,
  feedback: 8,
  statusLed: 13,
  s0: 2,
  analog: null,
  pulsesPerKWh: 1000,
};

type Role = 'relay' | 'feedback' | 'statusLed' | 's0' | 'analog';

const MODE_OF_ROLE: Record<Role, PinMode> = {
  relay: PIN_MODE.OUTPUT,
  feedback: PIN_MODE.INPUT,
  statusLed: PIN_MODE.OUTPUT,
  s0: PIN_MODE.INPUT,
  analog: PIN_MODE.ANALOG,
};

const MODE_NAME: Record<number, string> = {
  [PIN_MODE.INPUT]: 'digital input',
  [PIN_MODE.OUTPUT]: 'digital output',
  [PIN_MODE.ANALOG]: 'analog input',
};

interface Where {
  readonly tn: string;
  readonly port: string;
}

function parsePin(ref: PinRef, role: Role, where: Where): number {
  if (typeof ref === 'number' && Number.isInteger(ref) && ref >= 0 && ref < 128) return ref;
  if (typeof ref === 'string') {
    const analog = /^A(\d{1,2})$/i.exec(ref.trim());
    if (analog) {
      const pin = pinOfAnalogChannel(ARDUINO_UNO, Number(analog[1]));
      if (pin !== undefined) return pin;
      throw new BoardError('NO_SUCH_PIN', where.tn, where.port, `${role}: ${ref} is not an analog pin of an Uno`, ref);
    }
    if (/^\d{1,3}$/.test(ref.trim())) return parsePin(Number(ref), role, where);
  }
  throw new BoardError('BAD_SPEC', where.tn, where.port, `${role}: "${String(ref)}" is not a pin number or A0..A5`, String(ref));
}

/**
 * Fills defaults and checks the wiring on its face: pin syntax, a pin used for two functions,
 * and, given a layout, pins the board lacks or that cannot do their job.
 */
export function resolveWiring(spec: WiringSpec | undefined, where: Where, layout?: BoardLayout): Wiring {
  const merged = { ...UNO_WIRING, ...definedOnly(spec ?? {}) };
  const ppk = merged.pulsesPerKWh;
  if (typeof ppk !== 'number' || !Number.isFinite(ppk) || ppk <= 0) {
    throw new BoardError('BAD_SPEC', where.tn, where.port, `pulsesPerKWh must be a positive number, got ${String(ppk)}`);
  }
  const pin = (role: Role, ref: PinRef | null | undefined): number | null =>
    ref === null || ref === undefined ? null : parsePin(ref, role, where);
  const relay = pin('relay', merged.relay);
  const feedback = pin('feedback', merged.feedback);
  if (relay === null || feedback === null) {
    throw new BoardError('BAD_SPEC', where.tn, where.port, 'relay and feedback pins are required');
  }
  const analogPin = pin('analog', merged.analog);
  let analog: Wiring['analog'] = null;
  if (analogPin !== null) {
    const channel = (layout ?? ARDUINO_UNO).pins[analogPin]?.analogChannel;
    if (channel === undefined) {
      throw new BoardError('PIN_MODE', where.tn, where.port, `analog: pin ${analogPin} is not an analog input`, analogPin);
    }
    analog = { pin: analogPin, channel };
  }
  const wiring: Wiring = {
    relay,
    feedback,
    statusLed: pin('statusLed', merged.statusLed),
    s0: pin('s0', merged.s0),
    analog,
    pulsesPerKWh: ppk,
  };
  const used = new Map<number, Role>();
  for (const [role, p] of rolePins(wiring)) {
    const other = used.get(p);
    if (other) throw new BoardError('PIN_IN_USE', where.tn, where.port, `${role}: pin already used by ${other}`, p);
    used.set(p, role);
  }
  if (layout) {
    const problem = checkWiring(wiring, layout, where);
    if (problem) throw problem;
  }
  return wiring;
}

/** The first pin of the wiring the layout lacks or cannot use for its function, as an error. */
export function checkWiring(wiring: Wiring, layout: BoardLayout, where: Where): BoardError | undefined {
  for (const [role, pin] of rolePins(wiring)) {
    if (pin >= layout.pins.length) {
      return new BoardError(
        'NO_SUCH_PIN',
        where.tn,
        where.port,
        `${role}: the board (${layout.name}) has no pin ${pin} (pins 0..${layout.pins.length - 1})`,
        pin,
      );
    }
    const mode = MODE_OF_ROLE[role];
    if (!supports(layout, pin, mode)) {
      return new BoardError(
        'PIN_MODE',
        where.tn,
        where.port,
        `${role}: pin ${pin} of the board (${layout.name}) cannot be a ${MODE_NAME[mode] ?? `mode ${mode}`}`,
        pin,
      );
    }
  }
  return undefined;
}

function rolePins(wiring: Wiring): Array<[Role, number]> {
  const out: Array<[Role, number]> = [
    ['relay', wiring.relay],
    ['feedback', wiring.feedback],
  ];
  if (wiring.statusLed !== null) out.push(['statusLed', wiring.statusLed]);
  if (wiring.s0 !== null) out.push(['s0', wiring.s0]);
  if (wiring.analog !== null) out.push(['analog', wiring.analog.pin]);
  return out;
}

/** The fields of o that are set, so that spreading it over defaults keeps the defaults of the rest. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
