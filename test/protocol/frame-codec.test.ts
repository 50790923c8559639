import { describe, expect, it } from 'vitest';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { buildSampleFrames } from '../../nodes/lean/sample-frames';
import { decodeFrame, encodeFrame } from '../../nodes/protocol/frame';
import { MessageClass, peekClassName } from '../../nodes/protocol/message-class';
import { signFrame } from '../../nodes/lean/frame-builders';

const samples = buildSampleFrames(CRYPTO_BACKENDS.node);

describe('frame codec', () => {
  it.each(Object.entries(samples))('%s decodes and re-encodes to the same bytes', (_name, bytes) => {
    const decoded = decodeFrame(bytes);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(Buffer.from(encodeFrame(decoded.value))).toEqual(Buffer.from(bytes));
  });

  it('keeps the budget: an automation frame <= 100 bytes, a one-register meter response <= 180 bytes', () => {
    expect(samples.automation!.length).toBeLessThanOrEqual(100);
    expect(samples.meterResponse!.length).toBeLessThanOrEqual(180);
  });

  it('keeps every firmware chunk inside one G3-PLC PSDU (239 bytes)', () => {
    expect(samples.firmwareChunk!.length).toBeLessThanOrEqual(239);
  });

  it.each([
    ['an empty buffer', new Uint8Array(0), 'truncated'],
    ['an unknown wire version', Uint8Array.of(9, 0x13), 'bad-version'],
    ['an unknown class', Uint8Array.of(1, 0x7f), 'unknown-class'],
    ['a frame cut short', samples.automation!.subarray(0, 50), 'truncated'],
    ['a frame with a byte appended', Uint8Array.of(...samples.automation!, 0), 'trailing-bytes'],
    [
      'a relay value other than 0 or 1',
      (() => {
        const f = samples.automation!.slice();
        f[2 + 4 + 4 + 4] = 2;
        return f;
      })(),
      'bad-field',
    ],
    [
      'a node id with a forbidden character',
      (() => {
        const f = samples.automation!.slice();
        f[3] = 0x20;
        return f;
      })(),
      'bad-field',
    ],
  ])('rejects %s with reason %s', (_what, bytes, reason) => {
    const decoded = decodeFrame(bytes);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toBe(reason);
  });

  it('signs the class with the content: the same fields under another class do not verify', () => {
    // an automation command and a meter request have the same layout (id, id, counter u32, u8)
    const crypto = CRYPTO_BACKENDS.node;
    const key = crypto.generateKeyPair();
    const command = signFrame({ cls: MessageClass.Automation, dc: 'dc1', group: 'dc1', counter: 7, relay: 1 }, key.secretKey, crypto);
    const relabelled = command.frame.slice();
    relabelled[1] = MessageClass.MeterRequest;
    const asRequest = decodeFrame(relabelled);
    expect(asRequest.ok && asRequest.value.cls).toBe(MessageClass.MeterRequest);
    if (!asRequest.ok || asRequest.value.cls !== MessageClass.MeterRequest) return;
    expect(crypto.verify(asRequest.value.signature, asRequest.value.signed, key.publicKey)).toBe(false);
    expect(crypto.verify(command.signature, command.signed, key.publicKey)).toBe(true);
  });

  it('lets the channel read the class of a frame without decoding it', () => {
    expect(peekClassName(samples.automation!)).toBe('automation');
    expect(peekClassName(samples.meterResponse!)).toBe('meter-response');
    expect(peekClassName(new Uint8Array([1]))).toBe('unknown');
  });
});
