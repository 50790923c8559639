import type { Clock, TimerHandle } from '../../../core/clock';
import type { Random } from '../../../core/random';
import { CAPABILITY_END, FIRMATA, NO_ANALOG_CHANNEL, PIN_MODE, SYSEX, to7bit } from '../firmata-constants';
import { ARDUINO_UNO, pinOfAnalogChannel, supports, type BoardLayout } from '../layout';
import { commandType, FirmataParser } from './firmata-parser';
import { DEFAULT_LOAD, LoadProfile, type LoadProfileSpec } from './load-profile';
import { S0Output } from './s0-output';
import { SerialLine } from './serial-line';

/**
 * The device side of Firmata, as StandardFirmata 2.5 on an Arduino Uno answers it, plus the world
 * wired to its pins: a relay whose contact feeds back to an input after its actuation delay, a
 * meter's S0 output driven by a load profile, and an analog input reading the load.
 *
 * Everything runs on the node's clock: both directions of the serial link cost 10 bit times per
 * byte, a new connection resets the board (the DTR reset of a real Uno) and Firmata answers only
 * after the boot delay, then announces its version and firmware unasked, as StandardFirmata does.
 * A host reaches it through memory-link.ts (in-process) or pty-link.ts (a pseudo-terminal).
 */

/** Where the device's TX wire goes: a host-side stream. */
export interface DevicePort {
  write(bytes: Uint8Array): void;
  /** The link went away on the device's side (cable pulled). */
  hangup(): void;
}

/** One connection of a host to the device. */
export interface DeviceSession {
  /** Bytes the host put on the device's RX wire; line time is added by the device. */
  receive(bytes: Uint8Array): void;
  /** The host closed its end. */
  close(): void;
}

export interface RelayHarness {
  /** Output pin driving the relay coil. */
  readonly out: number;
  /** Input the relay contact is wired back to. */
  readonly feedback: number;
  /** Operate and release times in ms (a small signal relay: about 10 and 5 ms). */
  readonly closeMs?: number | undefined;
  readonly openMs?: number | undefined;
  /** Uniform extra delay in [0, jitterMs) per actuation, from the device's seeded stream. */
  readonly jitterMs?: number | undefined;
}

export interface VirtualDeviceOptions {
  readonly id: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly layout?: BoardLayout | undefined;
  readonly baudRate?: number | undefined;
  /** Reset to Firmata running: the bootloader's wait after a DTR reset. */
  readonly bootMs?: number | undefined;
  readonly relay?: RelayHarness | undefined;
  /** The meter's S0 output wired to an input pin. */
  readonly s0?: { readonly input: number; readonly pulsesPerKWh: number; readonly pulseMs?: number | undefined } | undefined;
  /** An analog channel reading the load, 0 W .. fullScaleW mapped onto the ADC range. */
  readonly analog?: { readonly channel: number; readonly fullScaleW?: number | undefined } | undefined;
  /** The household load behind the meter; null for none. */
  readonly load?: LoadProfileSpec | null | undefined;
}

const DEVICE_DEFAULTS = {
  baudRate: 57_600,
  bootMs: 500,
  firmware: { name: 'GridbenchVirtualFirmata', major: 2, minor: 5 },
  closeMs: 10,
  openMs: 5,
  s0PulseMs: 30,
  fullScaleW: 5_000,
  samplingMs: 19,
} as const;

const PROTOCOL_VERSION = [2, 5] as const;
const ADC_MAX = 1023;

interface Connection extends DeviceSession {
  readonly port: DevicePort;
  readonly parser: FirmataParser;
  alive: boolean;
  booted: boolean;
}

export class VirtualFirmataDevice {
  readonly id: string;
  readonly layout: BoardLayout;
  readonly baudRate: number;
  /** When true the device ignores its RX wire and sends nothing: a board without Firmata. */
  muted = false;
  /** When true the relay contact no longer reaches the feedback input: a broken feedback wire. */
  feedbackWireCut = false;
  private pluggedIn = true;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly options: VirtualDeviceOptions;
  private readonly rx: SerialLine;
  private readonly tx: SerialLine;
  private readonly load: LoadProfile | undefined;
  private readonly s0: S0Output | undefined;
  private conn: Connection | undefined;
  private bootTimer: TimerHandle | undefined;
  private samplingTimer: TimerHandle | undefined;
  private samplingMs: number = DEVICE_DEFAULTS.samplingMs;
  private readonly modes: number[];
  /** Pin state as Firmata defines it: the value written to an output, the pull-up of an input. */
  private readonly states: number[];
  private readonly driven = new Map<number, 0 | 1>();
  private readonly reportDigital: boolean[] = [];
  private readonly lastPortReport: Array<number | undefined> = [];
  private readonly reportAnalog: boolean[] = [];
  private coil: 0 | 1 = 0;
  private contact: 0 | 1 = 0;
  private contactDueAt = -Infinity;

  constructor(options: VirtualDeviceOptions) {
    this.options = options;
    this.id = options.id;
    this.clock = options.clock;
    this.random = options.random;
    this.layout = options.layout ?? ARDUINO_UNO;
    this.baudRate = options.baudRate ?? DEVICE_DEFAULTS.baudRate;
    this.rx = new SerialLine(this.clock, this.baudRate);
    this.tx = new SerialLine(this.clock, this.baudRate);
    this.modes = new Array<number>(this.layout.pins.length).fill(PIN_MODE.OUTPUT);
    this.states = new Array<number>(this.layout.pins.length).fill(0);
    this.checkHarness();
    this.resetFirmata();
    const loadSpec = options.load === undefined ? DEFAULT_LOAD : options.load;
    if (loadSpec) this.load = new LoadProfile(loadSpec, this.random.fork('load'));
    if (options.s0 && this.load) {
      const input = options.s0.input;
      this.s0 = new S0Output(this.clock, this.load, options.s0.pulsesPerKWh, options.s0.pulseMs ?? DEVICE_DEFAULTS.s0PulseMs, (level) =>
        this.drive(input, level),
      );
      this.drive(input, 0);
      this.s0.start();
    }
    if (options.relay) this.drive(options.relay.feedback, 0);
  }

  /** True while the board is connected to its host port (the virtual USB cable). */
  get plugged(): boolean {
    return this.pluggedIn;
  }

  /** Relay contact state (true = closed), as the feedback wire carries it. */
  get relayClosed(): boolean {
    return this.contact === 1;
  }

  /** S0 pulses the meter has emitted, whether or not a host counted them. */
  get s0Pulses(): number {
    return this.s0?.pulses ?? 0;
  }

  pinMode(pin: number): number | undefined {
    return this.modes[pin];
  }

  pinState(pin: number): number | undefined {
    return this.states[pin];
  }

  /** Opens a connection: resets the board, which boots and announces itself after bootMs. */
  attach(port: DevicePort): DeviceSession {
    this.detach();
    const conn: Connection = {
      port,
      parser: new FirmataParser({
        command: (command, data) => this.handleCommand(command, data),
        sysex: (data) => this.handleSysex(data),
      }),
      alive: true,
      booted: false,
      receive: (bytes) => {
        if (!conn.alive) return;
        this.rx.send(bytes, (arrived) => {
          if (conn.alive && conn.booted && !this.muted) conn.parser.push(arrived, () => conn.alive);
        });
      },
      close: () => {
        if (this.conn === conn) this.detach();
      },
    };
    this.conn = conn;
    this.resetFirmata();
    this.bootTimer = this.clock.setTimer(this.options.bootMs ?? DEVICE_DEFAULTS.bootMs, () => {
      this.bootTimer = undefined;
      conn.booted = true;
      this.sendVersion();
      this.sendFirmware();
    });
    return conn;
  }

  /** Pulls the cable: the host's port goes away until plug(). */
  unplug(): void {
    this.pluggedIn = false;
    const conn = this.conn;
    this.detach();
    conn?.port.hangup();
  }

  plug(): void {
    this.pluggedIn = true;
  }

  /** Stops the meter and every timer; the device is not used again. */
  close(): void {
    this.detach();
    this.s0?.stop();
  }

  private detach(): void {
    if (this.conn) this.conn.alive = false;
    this.conn = undefined;
    this.bootTimer?.cancel();
    this.bootTimer = undefined;
    this.stopSampling();
  }

  private checkHarness(): void {
    const { relay, s0, analog } = this.options;
    const need = (pin: number, mode: number, what: string): void => {
      if (!supports(this.layout, pin, mode)) {
        throw new Error(`virtual device ${this.id}: ${what} pin ${pin} does not exist or cannot do that on ${this.layout.name}`);
      }
    };
    if (relay) {
      need(relay.out, PIN_MODE.OUTPUT, 'relay output');
      need(relay.feedback, PIN_MODE.INPUT, 'relay feedback');
    }
    if (s0) need(s0.input, PIN_MODE.INPUT, 'S0 input');
    if (analog && pinOfAnalogChannel(this.layout, analog.channel) === undefined) {
      throw new Error(`virtual device ${this.id}: ${this.layout.name} has no analog channel ${analog.channel}`);
    }
  }

  /** StandardFirmata's systemResetCallback: analog-capable pins analog, the rest outputs, low. */
  private resetFirmata(): void {
    for (let pin = 0; pin < this.layout.pins.length; pin++) {
      const analog = supports(this.layout, pin, PIN_MODE.ANALOG);
      this.modes[pin] = analog ? PIN_MODE.ANALOG : PIN_MODE.OUTPUT;
      this.states[pin] = 0;
    }
    this.reportDigital.length = 0;
    this.lastPortReport.length = 0;
    this.reportAnalog.length = 0;
    this.samplingMs = DEVICE_DEFAULTS.samplingMs;
    this.stopSampling();
    this.setCoil(0);
  }

  // ---- the wire ----

  private send(bytes: number[]): void {
    const conn = this.conn;
    if (!conn?.alive || !conn.booted || this.muted) return;
    this.tx.send(Uint8Array.from(bytes), (out) => {
      if (conn.alive) conn.port.write(out);
    });
  }

  // ---- messages ----

  private handleCommand(command: number, data: readonly number[]): void {
    const type = commandType(command);
    const channel = command & 0x0f;
    const [a = 0, b = 0] = data;
    switch (type) {
      case FIRMATA.DIGITAL_MESSAGE:
        return this.writePort(channel, a | (b << 7));
      case FIRMATA.ANALOG_MESSAGE:
        return this.writeAnalog(channel, a | (b << 7));
      case FIRMATA.REPORT_DIGITAL:
        return this.setReportDigital(channel, a !== 0);
      case FIRMATA.REPORT_ANALOG:
        return this.setReportAnalog(channel, a !== 0);
      case FIRMATA.SET_PIN_MODE:
        return this.setPinMode(a, b);
      case FIRMATA.SET_DIGITAL_PIN_VALUE:
        return this.setPinValue(a, b ? 1 : 0);
      case FIRMATA.REPORT_VERSION:
        return this.sendVersion();
      case FIRMATA.SYSTEM_RESET:
        return this.resetFirmata();
    }
  }

  private handleSysex(data: readonly number[]): void {
    const [id, ...args] = data;
    switch (id) {
      case SYSEX.REPORT_FIRMWARE:
        return this.sendFirmware();
      case SYSEX.CAPABILITY_QUERY:
        return this.sendCapabilities();
      case SYSEX.ANALOG_MAPPING_QUERY:
        return this.sendAnalogMapping();
      case SYSEX.PIN_STATE_QUERY:
        return args[0] === undefined ? undefined : this.sendPinState(args[0]);
      case SYSEX.SAMPLING_INTERVAL: {
        const ms = (args[0] ?? 0) | ((args[1] ?? 0) << 7);
        this.samplingMs = Math.max(1, ms);
        if (this.samplingTimer) this.startSampling(true);
        return;
      }
      default:
      // Other sysex commands (or an empty one) are ignored, as StandardFirmata ignores them.
    }
  }

  private sendVersion(): void {
    this.send([FIRMATA.REPORT_VERSION, ...PROTOCOL_VERSION]);
  }

  private sendFirmware(): void {
    const fw = DEVICE_DEFAULTS.firmware;
    const name = [...Buffer.from(fw.name, 'utf8')].flatMap((c) => to7bit(c));
    this.send([FIRMATA.START_SYSEX, SYSEX.REPORT_FIRMWARE, fw.major, fw.minor, ...name, FIRMATA.END_SYSEX]);
  }

  private sendCapabilities(): void {
    const out: number[] = [FIRMATA.START_SYSEX, SYSEX.CAPABILITY_RESPONSE];
    for (const pin of this.layout.pins) {
      for (const [mode, resolution] of pin.modes) out.push(mode, resolution);
      out.push(CAPABILITY_END);
    }
    out.push(FIRMATA.END_SYSEX);
    this.send(out);
  }

  private sendAnalogMapping(): void {
    const channels = this.layout.pins.map((p) => p.analogChannel ?? NO_ANALOG_CHANNEL);
    this.send([FIRMATA.START_SYSEX, SYSEX.ANALOG_MAPPING_RESPONSE, ...channels, FIRMATA.END_SYSEX]);
  }

  private sendPinState(pin: number): void {
    if (pin >= this.layout.pins.length) return;
    const state = this.states[pin] ?? 0;
    const bytes = [state & 0x7f];
    for (let rest = state >> 7; rest > 0; rest >>= 7) bytes.push(rest & 0x7f);
    this.send([FIRMATA.START_SYSEX, SYSEX.PIN_STATE_RESPONSE, pin, this.modes[pin] ?? 0, ...bytes, FIRMATA.END_SYSEX]);
  }

  private sendString(text: string): void {
    const chars = [...Buffer.from(text, 'utf8')].flatMap((c) => to7bit(c));
    this.send([FIRMATA.START_SYSEX, SYSEX.STRING_DATA, ...chars, FIRMATA.END_SYSEX]);
  }

  private setPinMode(pin: number, mode: number): void {
    if (!supports(this.layout, pin, mode)) {
      this.sendString('Unknown pin mode');
      return;
    }
    this.modes[pin] = mode;
    this.states[pin] = mode === PIN_MODE.PULLUP ? 1 : 0;
    if (this.options.relay?.out === pin) this.setCoil(0);
    const port = pin >> 3;
    if (this.reportDigital[port]) this.reportPort(port, false);
  }

  /** Digital port message: outputs take their bit, inputs take it as their pull-up (Firmata 2.5). */
  private writePort(port: number, value: number): void {
    for (let bit = 0; bit < 8; bit++) {
      const pin = port * 8 + bit;
      if (pin >= this.layout.pins.length) break;
      const level = (value >> bit) & 1;
      if (this.modes[pin] === PIN_MODE.OUTPUT) this.setOutput(pin, level as 0 | 1);
      else if (this.modes[pin] === PIN_MODE.INPUT) this.states[pin] = level;
    }
  }

  private setPinValue(pin: number, level: 0 | 1): void {
    if (this.modes[pin] === PIN_MODE.OUTPUT) this.setOutput(pin, level);
  }

  private writeAnalog(pin: number, value: number): void {
    if (this.modes[pin] === PIN_MODE.PWM || this.modes[pin] === PIN_MODE.SERVO) this.states[pin] = value;
  }

  private setOutput(pin: number, level: 0 | 1): void {
    this.states[pin] = level;
    if (this.options.relay?.out === pin) this.setCoil(level);
  }

  private setReportDigital(port: number, on: boolean): void {
    this.reportDigital[port] = on;
    if (on) this.reportPort(port, true);
  }

  private setReportAnalog(channel: number, on: boolean): void {
    this.reportAnalog[channel] = on;
    if (on) this.sendAnalog(channel);
    if (this.reportAnalog.some(Boolean)) this.startSampling(false);
    else this.stopSampling();
  }

  // ---- the world behind the pins ----

  /** An external signal on an input pin (the relay contact, the S0 output). */
  private drive(pin: number, level: 0 | 1): void {
    this.driven.set(pin, level);
    const port = pin >> 3;
    if (this.reportDigital[port]) this.reportPort(port, false);
  }

  private level(pin: number): number {
    return this.driven.get(pin) ?? (this.modes[pin] === PIN_MODE.PULLUP || this.states[pin] ? 1 : 0);
  }

  /** StandardFirmata's outputPort: only input pins count, and only changes are sent unless forced. */
  private reportPort(port: number, force: boolean): void {
    let value = 0;
    for (let bit = 0; bit < 8; bit++) {
      const pin = port * 8 + bit;
      if (pin >= this.layout.pins.length) break;
      const mode = this.modes[pin];
      if ((mode === PIN_MODE.INPUT || mode === PIN_MODE.PULLUP) && this.level(pin)) value |= 1 << bit;
    }
    if (!force && this.lastPortReport[port] === value) return;
    this.lastPortReport[port] = value;
    this.send([FIRMATA.DIGITAL_MESSAGE | port, ...to7bit(value)]);
  }

  /** The coil follows the output pin; the contact follows the coil after its actuation time. */
  private setCoil(level: 0 | 1): void {
    if (level === this.coil) return;
    this.coil = level;
    const relay = this.options.relay;
    if (!relay) return;
    const base = level ? (relay.closeMs ?? DEVICE_DEFAULTS.closeMs) : (relay.openMs ?? DEVICE_DEFAULTS.openMs);
    const jitter = relay.jitterMs ? this.random.float() * relay.jitterMs : 0;
    // The contact moves in the order the coil did, even when a release is quicker than an operate.
    const at = Math.max(this.clock.now() + base + jitter, this.contactDueAt);
    this.contactDueAt = at;
    this.clock.setTimer(at - this.clock.now(), () => {
      this.contact = level;
      if (!this.feedbackWireCut) this.drive(relay.feedback, level);
    });
  }

  private analogValue(channel: number): number {
    const analog = this.options.analog;
    if (!analog || analog.channel !== channel || !this.load) return 0;
    const watts = this.load.powerAt(this.clock.now());
    return Math.round(Math.min(1, watts / (analog.fullScaleW ?? DEVICE_DEFAULTS.fullScaleW)) * ADC_MAX);
  }

  private sendAnalog(channel: number): void {
    const pin = pinOfAnalogChannel(this.layout, channel);
    if (pin === undefined || this.modes[pin] !== PIN_MODE.ANALOG) return;
    this.send([FIRMATA.ANALOG_MESSAGE | channel, ...to7bit(this.analogValue(channel))]);
  }

  private startSampling(restart: boolean): void {
    if (this.samplingTimer && !restart) return;
    this.samplingTimer?.cancel();
    const tick = (): void => {
      this.reportAnalog.forEach((on, channel) => on && this.sendAnalog(channel));
      this.samplingTimer = this.clock.setTimer(this.samplingMs, tick);
    };
    this.samplingTimer = this.clock.setTimer(this.samplingMs, tick);
  }

  private stopSampling(): void {
    this.samplingTimer?.cancel();
    this.samplingTimer = undefined;
  }
}
