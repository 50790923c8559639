import { CAPABILITY_END, FIRMATA, NO_ANALOG_CHANNEL, SYSEX, to7bit } from '../firmata-constants';
import type { BoardLayout } from '../layout';

/**
 * The messages a Firmata device sends (firmata/protocol, protocol.md), as bytes: what the virtual
 * device answers with, built the way StandardFirmata builds them.
 */

/** Text in a sysex: each byte as two 7-bit bytes, LSB first. */
const sevenBitText = (text: string): number[] => [...Buffer.from(text, 'utf8')].flatMap((c) => to7bit(c));

export const versionReport = (major: number, minor: number): number[] => [FIRMATA.REPORT_VERSION, major, minor];

export const firmwareReport = (name: string, major: number, minor: number): number[] => [
  FIRMATA.START_SYSEX,
  SYSEX.REPORT_FIRMWARE,
  major,
  minor,
  ...sevenBitText(name),
  FIRMATA.END_SYSEX,
];

export function capabilityResponse(layout: BoardLayout): number[] {
  const out: number[] = [FIRMATA.START_SYSEX, SYSEX.CAPABILITY_RESPONSE];
  for (const pin of layout.pins) {
    for (const [mode, resolution] of pin.modes) out.push(mode, resolution);
    out.push(CAPABILITY_END);
  }
  out.push(FIRMATA.END_SYSEX);
  return out;
}

export function analogMappingResponse(layout: BoardLayout): number[] {
  const channels = layout.pins.map((p) => p.analogChannel ?? NO_ANALOG_CHANNEL);
  return [FIRMATA.START_SYSEX, SYSEX.ANALOG_MAPPING_RESPONSE, ...channels, FIRMATA.END_SYSEX];
}

/** The pin's mode and state, the state in as many 7-bit bytes as it needs. */
export function pinStateResponse(pin: number, mode: number, state: number): number[] {
  const bytes = [state & 0x7f];
  for (let rest = state >> 7; rest > 0; rest >>= 7) bytes.push(rest & 0x7f);
  return [FIRMATA.START_SYSEX, SYSEX.PIN_STATE_RESPONSE, pin, mode, ...bytes, FIRMATA.END_SYSEX];
}

export const stringData = (text: string): number[] => [FIRMATA.START_SYSEX, SYSEX.STRING_DATA, ...sevenBitText(text), FIRMATA.END_SYSEX];

export const digitalPortReport = (port: number, value: number): number[] => [FIRMATA.DIGITAL_MESSAGE | port, ...to7bit(value)];

export const analogReport = (channel: number, value: number): number[] => [FIRMATA.ANALOG_MESSAGE | channel, ...to7bit(value)];
