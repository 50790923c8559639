import type { Clock, TimerHandle } from '../../../core/clock';
import { FIRMATA, PIN_MODE, SYSEX } from '../firmata-constants';
import { ARDUINO_UNO, pinOfAnalogChannel, supports, type BoardLayout } from '../layout';
import { BenchHarness, type HarnessOptions } from './bench-harness';
import { commandType, FirmataParser } from './firmata-parser';
import {
  analogMappingResponse,
  analogReport,
  capabilityResponse,
  digitalPortReport,
  firmwareReport,
  pinStateResponse,
  stringData,
  versionReport,
} from './firmata-replies';
import type { DevicePort, DeviceSession, SerialDevice } from './serial-device';
import { SerialLine } from './serial-line';

/**
 * The device side of Firmata, as StandardFirmata 2.5 on an Arduino Uno answers it, plus the world
 * wired to its pins: a relay whose contact feeds back to an input after its actuation delay, a
 * meter's S0 output driven by a load profile, and an analog input reading the load.
 *
 * Everything runs on the node's clock: both directions of the serial link cost 10 bit times per
 * byte, a new connection resets the board (the DTR reset of a real Uno) and Firmata answers only
 * after the boot delay, then announces its version and firmware unasked, as StandardFirmata does.
 * reset() restarts it the same way with the port left open (the reset button, a brown-out). A
 * reset makes every pin an input until the firmware starts and sets its defaults (outputs held
 * low), as the ATmega328P does. A host reaches it through memory-link.ts (in-process) or
 * pty-link.ts (a pseudo-terminal).
 */

export type { DevicePort, DeviceSession } from './serial-device';
export type { RelayHarness } from './bench-harness';

/** The device and the bench around its pins (bench-harness.ts); the layout defaults to an Uno. */
export interface VirtualDeviceOptions extends Omit<HarnessOptions, 'layout'> {
  readonly layout?: BoardLayout | undefined;
  readonly baudRate?: number | undefined;
  /** Reset to Firmata running: the bootloader's wait after a DTR reset. */
  readonly bootMs?: number | undefined;
}

const DEVICE_DEFAULTS = {
  baudRate: 57_600,
  bootMs: 500,
  firmware: { name: 'GridbenchVirtualFirmata', major: 2, minor: 5 },
  samplingMs: 19,
} as const;

const PROTOCOL_VERSION = { major: 2, minor: 5 } as const;

interface Connection extends DeviceSession {
  readonly port: DevicePort;
  parser: FirmataParser;
  alive: boolean;
  booted: boolean;
}

export class VirtualFirmataDevice implements SerialDevice {
  readonly id: string;
  readonly layout: BoardLayout;
  readonly baudRate: number;
  /** When true the device ignores its RX wire and sends nothing: a board without Firmata. */
  muted = false;
  /** The relay, the meter and the load wired to the pins. */
  readonly bench: BenchHarness;
  private pluggedIn = true;
  private readonly clock: Clock;
  private readonly options: VirtualDeviceOptions;
  private readonly rx: SerialLine;
  private readonly tx: SerialLine;
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
  private shortCount = 0;

  constructor(options: VirtualDeviceOptions) {
    this.options = options;
    this.id = options.id;
    this.clock = options.clock;
    this.layout = options.layout ?? ARDUINO_UNO;
    this.baudRate = options.baudRate ?? DEVICE_DEFAULTS.baudRate;
    this.rx = new SerialLine(this.clock, this.baudRate);
    this.tx = new SerialLine(this.clock, this.baudRate);
    this.modes = new Array<number>(this.layout.pins.length).fill(PIN_MODE.OUTPUT);
    this.states = new Array<number>(this.layout.pins.length).fill(0);
    this.bench = new BenchHarness({ ...options, layout: this.layout }, (pin, level) => this.drive(pin, level));
    this.resetFirmata();
    this.bench.start();
  }

  /** True while the board is connected to its host port (the virtual USB cable). */
  get plugged(): boolean {
    return this.pluggedIn;
  }

  /** When true the relay contact no longer reaches the feedback input: a broken feedback wire. */
  get feedbackWireCut(): boolean {
    return this.bench.feedbackWireCut;
  }

  set feedbackWireCut(cut: boolean) {
    this.bench.feedbackWireCut = cut;
  }

  /** Relay contact state (true = closed), as the feedback wire carries it. */
  get relayClosed(): boolean {
    return this.bench.relayClosed;
  }

  /** Times the relay contact drove the feedback pin high while the firmware held it low as an output (see BenchHarness). */
  get shorts(): number {
    return this.shortCount;
  }

  /** S0 pulses the meter has emitted, whether or not a host counted them. */
  get s0Pulses(): number {
    return this.bench.s0Pulses;
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
      parser: this.newParser(),
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
    this.boot();
    return conn;
  }

  /**
   * Restarts the board with the port left open (the reset button, a brown-out): what the firmware
   * had been told is gone, and after bootMs it announces itself again, unasked.
   */
  reset(): void {
    this.boot();
  }

  /** Hardware reset, then the firmware's start-up: pin defaults, then version and firmware announced. */
  private boot(): void {
    this.bootTimer?.cancel();
    this.stopSampling();
    this.reportDigital.length = 0;
    this.lastPortReport.length = 0;
    this.reportAnalog.length = 0;
    this.modes.fill(PIN_MODE.INPUT);
    this.states.fill(0);
    this.allPinsLow();
    const conn = this.conn;
    if (!conn) return;
    conn.booted = false;
    conn.parser = this.newParser();
    this.bootTimer = this.clock.setTimer(this.options.bootMs ?? DEVICE_DEFAULTS.bootMs, () => {
      this.bootTimer = undefined;
      this.resetFirmata();
      conn.booted = true;
      this.sendVersion();
      this.sendFirmware();
    });
  }

  private newParser(): FirmataParser {
    return new FirmataParser({
      command: (command, data) => this.handleCommand(command, data),
      sysex: (data) => this.handleSysex(data),
    });
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
    this.bench.close();
  }

  private detach(): void {
    if (this.conn) this.conn.alive = false;
    this.conn = undefined;
    this.bootTimer?.cancel();
    this.bootTimer = undefined;
    this.stopSampling();
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
    this.allPinsLow();
    this.driven.forEach((level, pin) => this.checkShort(pin, level));
  }

  private allPinsLow(): void {
    for (let pin = 0; pin < this.layout.pins.length; pin++) this.bench.output(pin, 0);
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
    this.send(versionReport(PROTOCOL_VERSION.major, PROTOCOL_VERSION.minor));
  }

  private sendFirmware(): void {
    const fw = DEVICE_DEFAULTS.firmware;
    this.send(firmwareReport(fw.name, fw.major, fw.minor));
  }

  private sendCapabilities(): void {
    this.send(capabilityResponse(this.layout));
  }

  private sendAnalogMapping(): void {
    this.send(analogMappingResponse(this.layout));
  }

  private sendPinState(pin: number): void {
    if (pin >= this.layout.pins.length) return;
    this.send(pinStateResponse(pin, this.modes[pin] ?? 0, this.states[pin] ?? 0));
  }

  private setPinMode(pin: number, mode: number): void {
    if (!supports(this.layout, pin, mode)) {
      this.send(stringData('Unknown pin mode'));
      return;
    }
    this.modes[pin] = mode;
    this.states[pin] = mode === PIN_MODE.PULLUP ? 1 : 0;
    this.bench.output(pin, 0);
    this.checkShort(pin, this.driven.get(pin));
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
    this.bench.output(pin, level);
    this.checkShort(pin, this.driven.get(pin));
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
    this.checkShort(pin, level);
    const port = pin >> 3;
    if (this.reportDigital[port]) this.reportPort(port, false);
  }

  private checkShort(pin: number, external: 0 | 1 | undefined): void {
    if (pin !== this.options.relay?.feedback) return;
    if (external === 1 && this.modes[pin] === PIN_MODE.OUTPUT && this.states[pin] === 0) this.shortCount++;
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
    this.send(digitalPortReport(port, value));
  }

  private sendAnalog(channel: number): void {
    const pin = pinOfAnalogChannel(this.layout, channel);
    if (pin === undefined || this.modes[pin] !== PIN_MODE.ANALOG) return;
    this.send(analogReport(channel, this.bench.analogValue(channel)));
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
