import { FIRMATA } from '../firmata-constants';

/** Data bytes after each command byte the device understands (MIDI-style, no running status). */
const COMMAND_DATA_BYTES: Record<number, number> = {
  [FIRMATA.DIGITAL_MESSAGE]: 2,
  [FIRMATA.ANALOG_MESSAGE]: 2,
  [FIRMATA.REPORT_ANALOG]: 1,
  [FIRMATA.REPORT_DIGITAL]: 1,
  [FIRMATA.SET_PIN_MODE]: 2,
  [FIRMATA.SET_DIGITAL_PIN_VALUE]: 2,
  [FIRMATA.REPORT_VERSION]: 0,
  [FIRMATA.SYSTEM_RESET]: 0,
};

/** StandardFirmata's input buffer: longer sysex messages are cut. */
const MAX_SYSEX_BYTES = 64;

/** The message type of a command byte: channel messages (0x80..0xEF) carry a port or pin in the low nibble. */
export const commandType = (byte: number): number => (byte < 0xf0 ? byte & 0xf0 : byte);

export interface FirmataHandlers {
  command(command: number, data: readonly number[]): void;
  sysex(data: readonly number[]): void;
}

/**
 * Splits the host's byte stream into Firmata messages as the board's firmware does: a command
 * byte and its data bytes, or a sysex between START and END. Unknown commands and stray data bytes
 * are skipped; a command byte inside a sysex cuts the sysex off and starts that command.
 */
export class FirmataParser {
  private command: number | undefined;
  private data: number[] = [];
  private inSysex = false;

  constructor(private readonly handlers: FirmataHandlers) {}

  push(bytes: Uint8Array, stillWanted: () => boolean = () => true): void {
    for (const byte of bytes) {
      if (!stillWanted()) return;
      if (this.inSysex) {
        if (byte === FIRMATA.END_SYSEX) {
          this.inSysex = false;
          const data = this.data;
          this.data = [];
          this.handlers.sysex(data);
        } else if (byte & 0x80) {
          this.inSysex = false;
          this.start(byte);
        } else if (this.data.length < MAX_SYSEX_BYTES) {
          this.data.push(byte);
        }
      } else if (byte & 0x80) {
        this.start(byte);
      } else if (this.command !== undefined) {
        this.data.push(byte);
        if (this.data.length === COMMAND_DATA_BYTES[commandType(this.command)]) {
          const [command, data] = [this.command, this.data];
          this.command = undefined;
          this.data = [];
          this.handlers.command(command, data);
        }
      }
    }
  }

  private start(byte: number): void {
    this.data = [];
    this.command = undefined;
    if (byte === FIRMATA.START_SYSEX) {
      this.inSysex = true;
      return;
    }
    const need = COMMAND_DATA_BYTES[commandType(byte)];
    if (need === 0) this.handlers.command(byte, []);
    else if (need !== undefined) this.command = byte;
  }
}
