/**
 * Bounds-checked primitives for the wire format. The reader throws only DecodeFailure, which the
 * codec's boundary turns into a typed rejection; nothing else in the codec may throw.
 */
import { reject, type RejectionReason, type Result } from './rejection';

export class DecodeFailure extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeFailure';
  }
}

/** The one place decoding failures become rejections. */
export function boundary<T>(what: string, decode: () => T): Result<T> {
  try {
    return { ok: true, value: decode() };
  } catch (err) {
    if (err instanceof DecodeFailure) return reject(err.reason, err.message);
    return reject('bad-field', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const ID_PATTERN = /^[A-Za-z0-9._*-]{1,32}$/;
const latin1 = new TextDecoder('latin1');

export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  /**
   * `capacity`: the encoding's exact size, where the caller knows it: one allocation per encoding,
   * since finish() then hands over the buffer itself instead of a copy (issue 13: a frame is
   * encoded for every segment a run sends).
   */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** An unsigned integer below 2^53, as 8 bytes big-endian. */
  u64(v: number): this {
    this.u32(Math.floor(v / 2 ** 32));
    return this.u32(v >>> 0);
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A node id: one length byte, then ASCII. */
  id(id: string): this {
    if (!ID_PATTERN.test(id)) throw new RangeError(`node id "${id}" is not 1 to 32 characters of [A-Za-z0-9._*-]`);
    this.u8(id.length);
    for (let i = 0; i < id.length; i++) this.u8(id.charCodeAt(i));
    return this;
  }

  /** Bytes with a 16-bit length prefix. */
  blob16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError(`blob of ${b.length} bytes exceeds 65535`);
    return this.u16(b.length).bytes(b);
  }

  /** The bytes written. Writing on after finish() never changes what it returned. */
  finish(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}

export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length)
      throw new DecodeFailure('truncated', `${what}: need ${n} bytes at offset ${this.pos}, have ${this.remaining}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  u64(what: string): number {
    const hi = this.u32(what);
    const lo = this.u32(what);
    if (hi >= 2 ** 21) throw new DecodeFailure('bad-field', `${what}: value exceeds 2^53`);
    return hi * 2 ** 32 + lo;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }

  id(what: string): string {
    const n = this.u8(what);
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    // A valid id is ASCII, at most 32 characters: a loop costs less than a view and a call into
    // TextDecoder, which still decodes anything else (its text is in the refusal's detail).
    let id = '';
    for (let i = start; i < start + n; i++) {
      const c = this.buf[i]!;
      if (c >= 0x80) {
        id = latin1.decode(this.buf.subarray(start, start + n));
        break;
      }
      id += String.fromCharCode(c);
    }
    if (!ID_PATTERN.test(id)) throw new DecodeFailure('bad-field', `${what}: "${id}" is not a valid node id`);
    return id;
  }

  blob16(what: string): Uint8Array {
    return this.bytes(this.u16(what), what);
  }

  /** Asserts the whole buffer was consumed: trailing bytes would let two encodings mean one frame. */
  end(what: string): void {
    if (this.remaining !== 0)
      throw new DecodeFailure('trailing-bytes', `${what}: ${this.remaining} unexpected bytes at offset ${this.pos}`);
  }

  /** Bytes from `start` to the current position (the signed part of a frame). */
  slice(start: number): Uint8Array {
    return this.buf.subarray(start, this.pos);
  }
}
