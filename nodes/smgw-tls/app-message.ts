/**
 * The bench workload inside a TLS channel: the same five jobs as lean mode, but each one a
 * point-to-point message on one TN's channel. TLS protects everything, so the messages carry no
 * signatures of their own, except the firmware image, which the manufacturer signs end to end
 * (TLS only proves the HES sent it). Every HES message carries the application counter of its
 * stream, as in lean mode (meter rounds, confidential messages, a DC's automation commands), and a
 * TN accepts only a rising one: TLS stops wire replays within a channel, the counters stop an
 * application message delivered twice (a HES that resends, a message queued across channels).
 *
 *   [length u32][type u8][body]   length counts type and body
 */
import type { MeterRegisters } from '../mode';
import { ByteReader, ByteWriter, DecodeFailure } from '../protocol/bytes';

export type AppMessage =
  | { readonly type: 'meter-request'; readonly round: number }
  /** The TN's meter registers (code, value), as a lean meter reading carries them. */
  | { readonly type: 'meter-response'; readonly round: number; readonly registers: MeterRegisters }
  | { readonly type: 'confidential'; readonly counter: number; readonly payload: Uint8Array }
  | { readonly type: 'automation'; readonly counter: number; readonly relay: 'on' | 'off' }
  | { readonly type: 'firmware'; readonly version: number; readonly signature: Uint8Array; readonly image: Uint8Array }
  | { readonly type: 'firmware-installed'; readonly version: number };

const TYPE_CODE = {
  'meter-request': 1,
  'meter-response': 2,
  confidential: 3,
  automation: 4,
  firmware: 5,
  'firmware-installed': 6,
} as const satisfies Record<AppMessage['type'], number>;

/** Largest message a channel accepts (a firmware image plus its header): a bigger length is an attack. */
export const MAX_APP_MESSAGE_BYTES = 16 * 1024 * 1024;

export function encodeAppMessage(message: AppMessage): Uint8Array {
  const body = new ByteWriter().u8(TYPE_CODE[message.type]);
  switch (message.type) {
    case 'meter-request':
      body.u32(message.round);
      break;
    case 'meter-response':
      body.u32(message.round).u8(message.registers.length);
      for (const [code, value] of message.registers) body.u8(code).u64(value);
      break;
    case 'confidential':
      body.u32(message.counter).bytes(message.payload);
      break;
    case 'automation':
      body.u32(message.counter).u8(message.relay === 'on' ? 1 : 0);
      break;
    case 'firmware':
      body.u32(message.version).blob16(message.signature).bytes(message.image);
      break;
    case 'firmware-installed':
      body.u32(message.version);
      break;
  }
  const bytes = body.finish();
  return new ByteWriter(4 + bytes.length).u32(bytes.length).bytes(bytes).finish();
}

export type AppDecodeResult = { ok: true; message: AppMessage } | { ok: false; detail: string };

function decodeBody(bytes: Uint8Array): AppMessage {
  const r = new ByteReader(bytes);
  const code = r.u8('type');
  let message: AppMessage;
  switch (code) {
    case TYPE_CODE['meter-request']:
      message = { type: 'meter-request', round: r.u32('round') };
      break;
    case TYPE_CODE['meter-response']: {
      const round = r.u32('round');
      const registers: Array<readonly [number, number]> = [];
      for (let n = r.u8('register count'); n > 0; n--) registers.push([r.u8('register code'), r.u64('register value')]);
      message = { type: 'meter-response', round, registers };
      break;
    }
    case TYPE_CODE.confidential:
      message = { type: 'confidential', counter: r.u32('counter'), payload: r.rest().slice() };
      break;
    case TYPE_CODE.automation: {
      const counter = r.u32('counter');
      const relay = r.u8('relay');
      if (relay > 1) throw new DecodeFailure('bad-field', `relay: ${relay} is not 0 or 1`);
      message = { type: 'automation', counter, relay: relay === 1 ? 'on' : 'off' };
      break;
    }
    case TYPE_CODE.firmware:
      message = { type: 'firmware', version: r.u32('version'), signature: r.blob16('signature').slice(), image: r.rest().slice() };
      break;
    case TYPE_CODE['firmware-installed']:
      message = { type: 'firmware-installed', version: r.u32('version') };
      break;
    default:
      throw new DecodeFailure('unknown-class', `app message type ${code} is unknown`);
  }
  r.end('app message');
  return message;
}

/** One message cut out of a channel's plaintext stream. */
export interface ReadMessage {
  readonly result: AppDecodeResult;
  /** When its first byte arrived. */
  readonly firstByteAt: number;
  /** Plaintext stream offsets of the message, length prefix included, end exclusive (issue-stamps.ts). */
  readonly start: number;
  readonly end: number;
  /** The message exactly as it came, length prefix included: what the goal oracle is told was accepted. */
  readonly bytes: Uint8Array;
}

/**
 * Cuts the decrypted byte stream of one channel into messages. Remembers when the first byte of
 * each message arrived (firmware install time counts from there). Never throws: a message that
 * does not decode is reported and skipped; a length beyond the limit poisons the stream, and the
 * owner closes the channel.
 */
export class AppMessageReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private firstByteAt: number | undefined;
  /** Stream offset just past the last message cut out. */
  private consumed = 0;
  poisoned: string | undefined;

  constructor(private readonly now: () => number) {}

  /** The messages completed by `data`. */
  push(data: Uint8Array): ReadMessage[] {
    const out: ReadMessage[] = [];
    if (this.poisoned || data.length === 0) return out;
    this.firstByteAt ??= this.now();
    this.chunks.push(data);
    this.buffered += data.length;
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
      if (length === 0 || length > MAX_APP_MESSAGE_BYTES) {
        this.poisoned = `app message length ${length} is outside 1..${MAX_APP_MESSAGE_BYTES}`;
        break;
      }
      if (this.buffered < 4 + length) break;
      const whole = this.peek(4 + length).slice();
      this.consume(4 + length);
      const start = this.consumed;
      this.consumed += 4 + length;
      let result: AppDecodeResult;
      try {
        result = { ok: true, message: decodeBody(whole.subarray(4)) };
      } catch (err) {
        result = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
      out.push({ result, firstByteAt: this.firstByteAt ?? this.now(), start, end: this.consumed, bytes: whole });
      this.firstByteAt = this.buffered > 0 ? this.now() : undefined;
    }
    return out;
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const merged = new Uint8Array(this.buffered);
    let at = 0;
    for (const c of this.chunks) {
      merged.set(c, at);
      at += c.length;
    }
    this.chunks = [merged];
    return merged.subarray(0, n);
  }

  private consume(n: number): void {
    let left = n;
    while (left > 0) {
      const head = this.chunks[0]!;
      if (head.length <= left) {
        this.chunks.shift();
        left -= head.length;
      } else {
        this.chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
  }
}
