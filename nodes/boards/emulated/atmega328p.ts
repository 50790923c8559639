import {
  AVRADC,
  AVRClock,
  AVRIOPort,
  AVRTimer,
  AVRUSART,
  CPU,
  PinState,
  adcConfig,
  avrInstruction,
  clockConfig,
  portBConfig,
  portCConfig,
  portDConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  usart0Config,
} from 'avr8js';

/** The Uno's crystal. */
export const CPU_HZ = 16_000_000;
export const CYCLES_PER_MS = CPU_HZ / 1_000;

/**
 * An Arduino Uno's ATmega328P in avr8js, from power-up: the CPU with the flash image, the three
 * timers (millis() runs on timer 0), ports B, C and D, USART0 and the ADC. A reset is a new
 * Machine: every register and peripheral back to its reset state, every pin an input.
 */
export class Machine {
  readonly cpu: CPU;
  readonly usart: AVRUSART;
  readonly adc: AVRADC;
  private readonly ports: Record<Port, AVRIOPort>;

  constructor(program: Uint16Array) {
    this.cpu = new CPU(program);
    new AVRTimer(this.cpu, timer0Config);
    new AVRTimer(this.cpu, timer1Config);
    new AVRTimer(this.cpu, timer2Config);
    new AVRClock(this.cpu, CPU_HZ, clockConfig);
    this.ports = {
      B: new AVRIOPort(this.cpu, portBConfig),
      C: new AVRIOPort(this.cpu, portCConfig),
      D: new AVRIOPort(this.cpu, portDConfig),
    };
    this.usart = new AVRUSART(this.cpu, usart0Config, CPU_HZ);
    this.adc = new AVRADC(this.cpu, adcConfig);
  }

  /** Executes instructions until the cycle counter reaches `cycles`. */
  runUntil(cycles: number): void {
    const { cpu } = this;
    while (cpu.cycles < cycles) {
      avrInstruction(cpu);
      cpu.tick();
    }
  }

  /** The level the chip drives on an Arduino pin: 1 or 0 for an output, undefined for an input. */
  output(pin: number): 0 | 1 | undefined {
    const at = UNO_PINS[pin];
    if (!at) return undefined;
    const state = this.ports[at.port].pinState(at.bit);
    return state === PinState.High ? 1 : state === PinState.Low ? 0 : undefined;
  }

  /** Puts an external level on an Arduino pin (what the chip reads while the pin is an input). */
  setInput(pin: number, level: 0 | 1): void {
    const at = UNO_PINS[pin];
    if (at) this.ports[at.port].setPin(at.bit, level === 1);
  }

  /** Calls fn with the Arduino pin numbers of a port whenever the port's PORT or DDR register changes. */
  onPortWrite(fn: (pins: readonly number[]) => void): void {
    for (const port of ['B', 'C', 'D'] as const) {
      const pins = UNO_PINS.flatMap((at, pin) => (at?.port === port ? [pin] : []));
      this.ports[port].addListener(() => fn(pins));
    }
  }
}

type Port = 'B' | 'C' | 'D';

/** Arduino Uno pin numbers: D0..D7 are PORTD 0..7, D8..D13 PORTB 0..5, A0..A5 (14..19) PORTC 0..5. */
const UNO_PINS: ReadonlyArray<{ readonly port: Port; readonly bit: number } | undefined> = Array.from({ length: 20 }, (_, pin) =>
  pin < 8 ? { port: 'D', bit: pin } : pin < 14 ? { port: 'B', bit: pin - 8 } : { port: 'C', bit: pin - 14 },
);
