import type { Clock } from '../../../core/clock';

/**
 * One direction of a UART at 8N1: bytes leave in order and each costs 10 bit times, so a chunk
 * written while the line is busy waits for the bytes ahead of it. Delivery runs on the clock.
 */
export class SerialLine {
  private busyUntil = -Infinity;

  constructor(
    private readonly clock: Clock,
    readonly baudRate: number,
  ) {
    if (!(baudRate > 0)) throw new Error(`baud rate must be positive, got ${baudRate}`);
  }

  /** Time one byte occupies the line, in ms. */
  get byteMs(): number {
    return 10_000 / this.baudRate;
  }

  send(bytes: Uint8Array, deliver: (bytes: Uint8Array) => void): void {
    const now = this.clock.now();
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + bytes.length * this.byteMs;
    this.clock.setTimer(this.busyUntil - now, () => deliver(bytes));
  }
}
