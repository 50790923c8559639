/**
 * Minimal types for the parts of johnny-five 2 and firmata-io 2 the boards use (neither ships
 * TypeScript types). Only what nodes/boards calls is declared.
 */
declare module 'firmata-io' {
  import { EventEmitter } from 'node:events';

  interface FirmataPin {
    supportedModes: number[];
    mode?: number;
    value: number;
    report: number;
    analogChannel: number;
    state?: number;
  }

  interface FirmataOptions {
    /** Real ms to wait for the board's own version report before asking for it. */
    reportVersionTimeout?: number;
    samplingInterval?: number;
  }

  class Firmata extends EventEmitter {
    constructor(transport: EventEmitter, options?: FirmataOptions);
    readonly MODES: Readonly<Record<'INPUT' | 'OUTPUT' | 'ANALOG' | 'PWM' | 'PULLUP', number>>;
    readonly pins: FirmataPin[];
    readonly analogPins: number[];
    readonly firmware: { name?: string; version?: { major: number; minor: number } };
    readonly version: { major?: number; minor?: number };
    /** Last level written or reported per digital port; digitalWrite sends the whole port from it. */
    readonly ports: number[];
    isReady: boolean;
    reportVersionTimeoutId: ReturnType<typeof setTimeout> | undefined;
    pinMode(pin: number, mode: number): void;
    digitalWrite(pin: number, value: number): void;
    digitalRead(pin: number, callback: (value: number) => void): void;
    analogRead(channel: number, callback: (value: number) => void): void;
    queryPinState(pin: number, callback: () => void): void;
    reportDigitalPin(pin: number, value: 0 | 1): void;
    reportAnalogPin(channel: number, value: 0 | 1): void;
    setSamplingInterval(ms: number): void;
  }

  interface BindTransport {
    (transport: unknown): typeof Firmata;
    Firmata: typeof Firmata;
  }
  const bindTransport: BindTransport;
  export default bindTransport;
  export type { Firmata, FirmataPin };
}

declare module 'johnny-five' {
  import { EventEmitter } from 'node:events';
  import type { Firmata as FirmataIo } from 'firmata-io';

  interface BoardOptions {
    io: FirmataIo;
    id?: string;
    repl?: boolean;
    debug?: boolean;
    sigint?: boolean;
    /** Real ms from "connect" to "ready" before johnny-five reports a board error. */
    timeout?: number;
  }

  class Board extends EventEmitter {
    constructor(options: BoardOptions);
    readonly io: FirmataIo;
    readonly id: string;
    isReady: boolean;
    timer: ReturnType<typeof setTimeout> | null;
    /** Every Board ever constructed; johnny-five never removes one itself. */
    static readonly cache: Board[];
    digitalRead(pin: number, callback: (value: number) => void): this;
    analogRead(channel: number, callback: (value: number) => void): this;
    pinMode(pin: number, mode: number): this;
  }

  class Relay {
    constructor(options: { pin: number; board: Board; type?: 'NO' | 'NC' });
    open(): this;
    close(): this;
    readonly isClosed: boolean;
  }

  class Led {
    constructor(options: { pin: number; board: Board });
    on(): this;
    off(): this;
  }

  const five: { Board: typeof Board; Relay: typeof Relay; Led: typeof Led };
  export default five;
  export type { Board, Relay, Led };
}
