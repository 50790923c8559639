import type { Clock, TimerHandle } from '../../../core/clock';
import { ARDUINO_UNO } from '../layout';
import { BenchHarness, type HarnessOptions } from '../virtual/bench-harness';
import type { DevicePort, DeviceSession, SerialDevice } from '../virtual/serial-device';
import { CYCLES_PER_MS, Machine } from './atmega328p';

/**
 * An Arduino Uno running real firmware (StandardFirmata) in the AVR emulator, on the bench of
 * bench-harness.ts: the relay on its output wired back to the feedback input, the meter's S0
 * output on its input, the load on an analog input. Its USART0 is its serial port; pty-link.ts
 * puts that on a pseudo-terminal, so johnny-five opens it as it opens a real board.
 *
 * Time. A pty is real I/O, so the emulated board runs on the real clock, and the CPU's 16 MHz
 * cycle clock is mapped onto it: cycle c of a power-up happens at epoch + c / 16,000 ms. The CPU
 * runs in slices: whenever the node clock's timer fires (about every millisecond), and at once
 * when bytes arrive from the host or the bench changes an input, it executes the cycles real time
 * has reached since the last slice, at most 50 ms worth at once, so the event loop keeps turning.
 * Within a slice the firmware's own time is exact (millis(), its sampling interval, each byte
 * taking 10 bit times at the baud rate the firmware set, 57,600 nominal, 58,824 on a 16 MHz Uno);
 * against real time it is late by up to a slice: bytes the firmware sent leave at the end of the
 * slice they were sent in, and a pin it writes reaches the bench's relay then. If the host cannot
 * keep up (StandardFirmata's loop never sleeps: keeping up takes a quarter to a half of a core)
 * the firmware falls behind real time and catches up; stats() says by how much.
 *
 * Reset. reset('external') is the reset pin (the DTR line a host opening the port pulses, the
 * reset button): the Uno's bootloader (Optiboot) then waits for an upload before it starts the
 * sketch, modelled as bootloaderMs with the CPU held (bytes arriving meanwhile are lost, the USART
 * is not enabled). reset('power') (power-up, a brown-out) starts the sketch at once. Either way
 * every register and pin starts from the chip's reset state, the port stays open.
 */
export interface EmulatedUnoOptions extends Omit<HarnessOptions, 'layout'> {
  readonly clock: Clock;
  /** The flash image (firmware.ts). */
  readonly flash: Uint8Array;
  /** Optiboot's wait after an external reset, ms. */
  readonly bootloaderMs?: number | undefined;
}

export type ResetCause = 'external' | 'power';

export const EMULATED_DEFAULTS = {
  /** Optiboot on the Uno: its watchdog timeout of about 1 s. */
  bootloaderMs: 1_000,
  /** Speed of the host end; the emulated UART itself runs at whatever the firmware sets. */
  baudRate: 57_600,
} as const;

const SLICE_MAX_MS = 50;

export interface EmulatorStats {
  /** Firmware time since the last reset (CPU cycles / 16,000), ms. */
  readonly cpuMs: number;
  /** Real time since the firmware started (the last reset, after the bootloader's wait), ms. */
  readonly realMs: number;
  /** Largest amount the CPU has been behind real time at the end of a slice, ms. */
  readonly maxLagMs: number;
  readonly resets: number;
  /** Why the emulated CPU stopped, if it did (an instruction avr8js cannot execute). */
  readonly halted?: string;
}

export class EmulatedUno implements SerialDevice {
  readonly id: string;
  readonly baudRate = EMULATED_DEFAULTS.baudRate;
  readonly bench: BenchHarness;
  private readonly clock: Clock;
  private readonly program: Uint16Array;
  private readonly bootloaderMs: number;
  private machine: Machine | undefined;
  /** Real clock time of cycle 0 of the current power-up. */
  private epoch = 0;
  private timer: TimerHandle | undefined;
  private stepping = false;
  private halted: string | undefined;
  private closed = false;
  private conn: { port: DevicePort; alive: boolean } | undefined;
  private pluggedIn = true;
  private readonly rxQueue: number[] = [];
  private txBuffer: number[] = [];
  private readonly external = new Map<number, 0 | 1>();
  private readonly driving = new Map<number, 0 | 1 | undefined>();
  private readonly shorted = new Set<number>();
  private shortCount = 0;
  private maxLagMs = 0;
  private resetCount = 0;
  private readonly analogChannel: number | undefined;
  private readonly feedbackPin: number | undefined;

  constructor(options: EmulatedUnoOptions) {
    this.id = options.id;
    this.clock = options.clock;
    this.program = new Uint16Array(options.flash.buffer, options.flash.byteOffset, options.flash.byteLength / 2);
    this.bootloaderMs = options.bootloaderMs ?? EMULATED_DEFAULTS.bootloaderMs;
    this.analogChannel = options.analog?.channel;
    this.feedbackPin = options.relay?.feedback;
    this.bench = new BenchHarness({ ...options, layout: ARDUINO_UNO }, (pin, level) => this.drive(pin, level));
    this.bench.start();
  }

  /** Resets the chip (and powers it up the first time); the serial port stays open. Nothing after close(). */
  reset(cause: ResetCause): void {
    if (this.closed) return;
    const machine = new Machine(this.program);
    machine.onPortWrite((pins) => pins.forEach((pin) => this.outputChanged(pin)));
    machine.usart.onByteTransmit = (byte) => this.txBuffer.push(byte);
    machine.usart.onRxComplete = () => this.feedRx();
    for (const [pin, level] of this.external) machine.setInput(pin, level);
    this.machine = machine;
    this.halted = undefined;
    this.epoch = this.clock.now() + (cause === 'external' ? this.bootloaderMs : 0);
    this.rxQueue.length = 0;
    this.txBuffer = [];
    this.resetCount++;
    // The pins are inputs now: a relay coil on one lets go.
    for (const pin of this.driving.keys()) this.outputChanged(pin);
    this.timer ??= this.clock.setTimer(0, this.step);
  }

  /** Stops the CPU and the bench; the device is not used again. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.machine = undefined;
    if (this.conn) this.conn.alive = false;
    this.conn = undefined;
    this.bench.close();
  }

  attach(port: DevicePort): DeviceSession {
    if (this.conn) this.conn.alive = false;
    const conn = { port, alive: true };
    this.conn = conn;
    return {
      receive: (bytes) => {
        if (!conn.alive) return;
        this.rxQueue.push(...bytes);
        this.runNow();
      },
      close: () => {
        conn.alive = false;
        if (this.conn === conn) this.conn = undefined;
      },
    };
  }

  get plugged(): boolean {
    return this.pluggedIn;
  }

  plug(): void {
    this.pluggedIn = true;
  }

  unplug(): void {
    this.pluggedIn = false;
    const conn = this.conn;
    this.conn = undefined;
    if (conn) {
      conn.alive = false;
      conn.port.hangup();
    }
  }

  /** Times the relay contact drove the feedback pin high while the firmware held it low as an output (see BenchHarness). */
  get shorts(): number {
    return this.shortCount;
  }

  stats(): EmulatorStats {
    const cpuMs = (this.machine?.cpu.cycles ?? 0) / CYCLES_PER_MS;
    const stats = { cpuMs, realMs: Math.max(0, this.clock.now() - this.epoch), maxLagMs: this.maxLagMs, resets: this.resetCount };
    return this.halted === undefined ? stats : { ...stats, halted: this.halted };
  }

  // ---- the pacing loop ----

  /** Runs the CPU up to now at once: an input just changed, and waiting for the next slice would delay the firmware's answer. */
  private runNow(): void {
    if (this.stepping || !this.machine) return;
    this.timer?.cancel();
    this.step();
  }

  private readonly step = (): void => {
    this.timer = undefined;
    const machine = this.machine;
    if (!machine) return;
    this.stepping = true;
    let behind = false;
    try {
      const target = (this.clock.now() - this.epoch) * CYCLES_PER_MS;
      if (target > machine.cpu.cycles) {
        if (this.analogChannel !== undefined) {
          machine.adc.channelValues[this.analogChannel] = (this.bench.analogValue(this.analogChannel) * 5) / 1023;
        }
        this.feedRx();
        machine.runUntil(Math.min(target, machine.cpu.cycles + SLICE_MAX_MS * CYCLES_PER_MS));
        this.flushTx();
        const lagMs = (target - machine.cpu.cycles) / CYCLES_PER_MS;
        this.maxLagMs = Math.max(this.maxLagMs, lagMs);
        behind = lagMs > 1;
      }
    } catch (err) {
      // The emulator met something it cannot execute: the chip stops, as a crashed board goes silent.
      this.halted = err instanceof Error ? err.message : String(err);
      this.machine = undefined;
      return;
    } finally {
      this.stepping = false;
    }
    this.timer = this.clock.setTimer(behind ? 0 : 1, this.step);
  };

  // ---- the serial pins ----

  /** Next host byte onto the RX pin, one character time after the last; lost while the firmware has the receiver off. */
  private feedRx(): void {
    const usart = this.machine?.usart;
    if (!usart || this.rxQueue.length === 0 || usart.rxBusy) return;
    if (!usart.rxEnable) {
      this.rxQueue.length = 0;
      return;
    }
    usart.writeByte(this.rxQueue.shift()!);
  }

  private flushTx(): void {
    if (this.txBuffer.length === 0) return;
    const bytes = Uint8Array.from(this.txBuffer);
    this.txBuffer = [];
    if (this.conn?.alive) this.conn.port.write(bytes);
  }

  // ---- the other pins ----

  private drive(pin: number, level: 0 | 1): void {
    this.external.set(pin, level);
    this.machine?.setInput(pin, level);
    this.checkShort(pin);
    this.runNow();
  }

  private outputChanged(pin: number): void {
    const level = this.machine?.output(pin);
    if (level === this.driving.get(pin)) return;
    this.driving.set(pin, level);
    this.bench.output(pin, level ?? 0);
    this.checkShort(pin);
  }

  private checkShort(pin: number): void {
    if (pin !== this.feedbackPin) return;
    const short = this.external.get(pin) === 1 && this.machine?.output(pin) === 0;
    if (short && !this.shorted.has(pin)) this.shortCount++;
    if (short) this.shorted.add(pin);
    else this.shorted.delete(pin);
  }
}
