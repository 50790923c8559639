/**
 * Firmata protocol bytes (firmata/protocol, protocol.md, protocol version 2.5) for the virtual
 * device, and the pin modes for both sides (firmata-io keeps its command bytes to itself).
 */
export const FIRMATA = {
  DIGITAL_MESSAGE: 0x90,
  ANALOG_MESSAGE: 0xe0,
  REPORT_ANALOG: 0xc0,
  REPORT_DIGITAL: 0xd0,
  START_SYSEX: 0xf0,
  SET_PIN_MODE: 0xf4,
  SET_DIGITAL_PIN_VALUE: 0xf5,
  END_SYSEX: 0xf7,
  REPORT_VERSION: 0xf9,
  SYSTEM_RESET: 0xff,
} as const;

export const SYSEX = {
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  PIN_STATE_QUERY: 0x6d,
  PIN_STATE_RESPONSE: 0x6e,
  EXTENDED_ANALOG: 0x6f,
  STRING_DATA: 0x71,
  REPORT_FIRMWARE: 0x79,
  SAMPLING_INTERVAL: 0x7a,
} as const;

export const PIN_MODE = {
  INPUT: 0x00,
  OUTPUT: 0x01,
  ANALOG: 0x02,
  PWM: 0x03,
  SERVO: 0x04,
  I2C: 0x06,
  PULLUP: 0x0b,
} as const;
export type PinMode = (typeof PIN_MODE)[keyof typeof PIN_MODE];

/** Separator closing one pin's list in a capability response; also "no analog channel". */
export const CAPABILITY_END = 0x7f;
export const NO_ANALOG_CHANNEL = 0x7f;

/** 14-bit value as the two 7-bit data bytes Firmata sends (LSB first). */
export function to7bit(value: number): [number, number] {
  return [value & 0x7f, (value >> 7) & 0x7f];
}
