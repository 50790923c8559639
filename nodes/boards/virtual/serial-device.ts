/**
 * A device at the far end of a serial line, as a host link (memory-link.ts, pty-link.ts) sees it:
 * the virtual Firmata device, or real firmware in the AVR emulator (emulated/emulated-uno.ts).
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

export interface SerialDevice {
  readonly id: string;
  /** The speed the host end is opened at. */
  readonly baudRate: number;
  /** Connects the device's serial pins to a host port. */
  attach(port: DevicePort): DeviceSession;
  /** The USB cable: unplug() drops the connection until plug(). */
  plug(): void;
  unplug(): void;
}
