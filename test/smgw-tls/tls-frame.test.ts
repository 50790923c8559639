import { describe, expect, it } from 'vitest';
import { MessageClass, peekClassName, WIRE_VERSION } from '../../nodes/protocol/message-class';
import { decodeTlsFrame, encodeTlsFrame, FLAG, tlsFrameHeaderBytes, type TlsFrame } from '../../nodes/smgw-tls/tls-frame';

const frame: TlsFrame = { tn: 'tn1.001', conn: 0xdeadbeef, flags: FLAG.fin, seq: 1234, ack: 0xffffffff, payload: Uint8Array.of(1, 2, 3) };

describe('TlsRecord frame', () => {
  it('starts with the wire version and class 0x20 so the channel classifies it', () => {
    const bytes = encodeTlsFrame(frame);
    expect([bytes[0], bytes[1]]).toEqual([WIRE_VERSION, MessageClass.TlsRecord]);
    expect(peekClassName(bytes)).toBe('tls-record');
    expect(bytes.length).toBe(tlsFrameHeaderBytes('tn1.001') + 3);
  });

  it('round-trips every field', () => {
    const decoded = decodeTlsFrame(encodeTlsFrame(frame));
    expect(decoded.ok && decoded.value).toEqual(frame);
  });

  it.each([
    ['empty', new Uint8Array(0), 'truncated'],
    ['other wire version', Uint8Array.of(9, 0x20, 0, 1, 0x41, ...new Array(12).fill(0)), 'bad-version'],
    ['lean class', Uint8Array.of(WIRE_VERSION, 0x13, 0, 1, 0x41, ...new Array(12).fill(0)), 'unknown-class'],
    ['unknown flag bits', Uint8Array.of(WIRE_VERSION, 0x20, 0x80, 1, 0x41, ...new Array(12).fill(0)), 'bad-field'],
    ['bad node id', Uint8Array.of(WIRE_VERSION, 0x20, 0, 1, 0x20, ...new Array(12).fill(0)), 'bad-field'],
    ['header cut short', encodeTlsFrame(frame).subarray(0, 15), 'truncated'],
  ])('refuses %s as a typed rejection, never by throwing', (_name, bytes, reason) => {
    const decoded = decodeTlsFrame(bytes);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toBe(reason);
  });
});
