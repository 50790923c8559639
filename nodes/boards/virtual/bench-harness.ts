import type { Clock } from '../../../core/clock';
import type { Random } from '../../../core/random';
import { PIN_MODE } from '../firmata-constants';
import { pinOfAnalogChannel, supports, type BoardLayout } from '../layout';
import { DEFAULT_LOAD, LoadProfile, type LoadProfileSpec } from './load-profile';
import { RelayContact, type RelayTimes } from './relay-contact';
import { S0Output } from './s0-output';

/**
 * The lab bench around a board's pins, whatever runs on the board (the virtual Firmata device or
 * real firmware in the AVR emulator): a relay on an output whose contact is wired back to an
 * input, a meter's S0 output on an input driven by a household load, and an analog input reading
 * that load. It runs on the clock it is given and tells the board what it drives onto which pin.
 *
 * The relay contact puts the relay's supply on the feedback line: if the firmware holds that pin
 * low as an output (StandardFirmata's default for every digital pin after a reset) while the
 * contact is closed, two outputs drive against each other; the boards count those shorts. The S0
 * output is an open collector whose current the meter limits (DIN EN 62053-31: at most 27 mA), so
 * its line is not counted.
 */

export interface RelayHarness extends RelayTimes {
  /** Output pin driving the relay coil. */
  readonly out: number;
  /** Input the relay contact is wired back to. */
  readonly feedback: number;
}

export interface HarnessOptions {
  readonly id: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly layout: BoardLayout;
  readonly relay?: RelayHarness | undefined;
  /** The meter's S0 output wired to an input pin. */
  readonly s0?: { readonly input: number; readonly pulsesPerKWh: number; readonly pulseMs?: number | undefined } | undefined;
  /** An analog channel reading the load, 0 W .. fullScaleW mapped onto the ADC range. */
  readonly analog?: { readonly channel: number; readonly fullScaleW?: number | undefined } | undefined;
  /** The household load behind the meter; null for none. */
  readonly load?: LoadProfileSpec | null | undefined;
}

const HARNESS_DEFAULTS = { s0PulseMs: 30, fullScaleW: 5_000 } as const;
const ADC_MAX = 1023;

export class BenchHarness {
  /** When true the relay contact no longer reaches the feedback input: a broken feedback wire. */
  feedbackWireCut = false;
  private readonly relay: RelayContact | undefined;
  private readonly load: LoadProfile | undefined;
  private readonly s0: S0Output | undefined;

  /** `drive` puts a level on one of the board's input pins. */
  constructor(
    private readonly options: HarnessOptions,
    private readonly drive: (pin: number, level: 0 | 1) => void,
  ) {
    checkHarness(options);
    const { relay, s0, clock, random } = options;
    if (relay) {
      this.relay = new RelayContact(clock, random, relay, (level) => {
        if (!this.feedbackWireCut) drive(relay.feedback, level);
      });
    }
    const loadSpec = options.load === undefined ? DEFAULT_LOAD : options.load;
    if (loadSpec) this.load = new LoadProfile(loadSpec, random.fork('load'));
    if (s0 && this.load) {
      this.s0 = new S0Output(clock, this.load, s0.pulsesPerKWh, s0.pulseMs ?? HARNESS_DEFAULTS.s0PulseMs, (level) =>
        drive(s0.input, level),
      );
    }
  }

  /** Puts the idle levels on the inputs and starts the meter. */
  start(): void {
    if (this.options.s0 && this.s0) {
      this.drive(this.options.s0.input, 0);
      this.s0.start();
    }
    if (this.options.relay) this.drive(this.options.relay.feedback, 0);
  }

  /** The board drives one of its outputs: a relay coil follows its pin. */
  output(pin: number, level: 0 | 1): void {
    if (this.options.relay?.out === pin) this.relay?.drive(level);
  }

  /** Relay contact state (true = closed), as the feedback wire carries it. */
  get relayClosed(): boolean {
    return this.relay?.contact === 1;
  }

  /** S0 pulses the meter has emitted, whether or not a host counted them. */
  get s0Pulses(): number {
    return this.s0?.pulses ?? 0;
  }

  /** ADC reading (0..1023) of an analog channel: the load on the wired channel, 0 elsewhere. */
  analogValue(channel: number): number {
    const analog = this.options.analog;
    if (!analog || analog.channel !== channel || !this.load) return 0;
    const watts = this.load.powerAt(this.options.clock.now());
    return Math.round(Math.min(1, watts / (analog.fullScaleW ?? HARNESS_DEFAULTS.fullScaleW)) * ADC_MAX);
  }

  /** Stops the meter. */
  close(): void {
    this.s0?.stop();
  }
}

function checkHarness({ id, layout, relay, s0, analog }: HarnessOptions): void {
  const need = (pin: number, mode: number, what: string): void => {
    if (!supports(layout, pin, mode)) {
      throw new Error(`virtual device ${id}: ${what} pin ${pin} does not exist or cannot do that on ${layout.name}`);
    }
  };
  if (relay) {
    need(relay.out, PIN_MODE.OUTPUT, 'relay output');
    need(relay.feedback, PIN_MODE.INPUT, 'relay feedback');
  }
  if (s0) need(s0.input, PIN_MODE.INPUT, 'S0 input');
  if (analog && pinOfAnalogChannel(layout, analog.channel) === undefined) {
    throw new Error(`virtual device ${id}: ${layout.name} has no analog channel ${analog.channel}`);
  }
}
