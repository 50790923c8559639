import { PIN_MODE, type PinMode } from './firmata-constants';

/**
 * What a board's pins can do, as its Firmata capability and analog-mapping responses state it.
 * The virtual device answers from this table; wiring is checked against it before a board is
 * driven, and against the capabilities a real board reports once it answers.
 */
export interface PinCapabilities {
  /** Supported modes and their resolution in bits, in the order the firmware lists them. */
  readonly modes: ReadonlyArray<readonly [PinMode, number]>;
  /** Analog channel of the pin (A0 = 0), or undefined. */
  readonly analogChannel?: number;
}

export interface BoardLayout {
  readonly name: string;
  readonly pins: readonly PinCapabilities[];
}

const UNO_PWM = new Set([3, 5, 6, 9, 10, 11]);

/**
 * Arduino Uno (ATmega328P) running StandardFirmata: pins 0 and 1 carry the serial link to the
 * host and report no modes; 2..19 are digital, 14..19 also analog A0..A5 (10 bits), PWM on
 * 3, 5, 6, 9, 10, 11, I2C on A4/A5. Mode order follows StandardFirmata's capability response.
 */
function unoPin(pin: number): PinCapabilities {
  if (pin < 2) return { modes: [] };
  const modes: Array<readonly [PinMode, number]> = [
    [PIN_MODE.INPUT, 1],
    [PIN_MODE.PULLUP, 1],
    [PIN_MODE.OUTPUT, 1],
  ];
  const analogChannel = pin >= 14 ? pin - 14 : undefined;
  if (analogChannel !== undefined) modes.push([PIN_MODE.ANALOG, 10]);
  if (UNO_PWM.has(pin)) modes.push([PIN_MODE.PWM, 8]);
  modes.push([PIN_MODE.SERVO, 14]);
  if (pin === 18 || pin === 19) modes.push([PIN_MODE.I2C, 1]);
  return analogChannel === undefined ? { modes } : { modes, analogChannel };
}

export const ARDUINO_UNO: BoardLayout = {
  name: 'Arduino Uno',
  pins: Array.from({ length: 20 }, (_, pin) => unoPin(pin)),
};

export function supports(layout: BoardLayout, pin: number, mode: number): boolean {
  return layout.pins[pin]?.modes.some(([m]) => m === mode) ?? false;
}

/** Digital pin number of an analog channel (A0 -> 14 on an Uno), or undefined. */
export function pinOfAnalogChannel(layout: BoardLayout, channel: number): number | undefined {
  const pin = layout.pins.findIndex((p) => p.analogChannel === channel);
  return pin < 0 ? undefined : pin;
}
