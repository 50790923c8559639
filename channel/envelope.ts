/**
 * The wire format between nodes and the broker: one ZeroMQ message carries one envelope, so a
 * client's burst of frames is one message (batching is what makes the broker fast).
 *
 *   FRAMES  0x01, then records: peerLen u8, peer (ASCII), sentAt f64 BE, attackLen u8, attack
 *           (ASCII, the frame's attack label, usually empty), length u32 BE, bytes
 *           node -> broker: peer is the destination; broker -> node: peer is the link-level sender
 *   HELLO   0x03 [, proof (32 bytes)] node announces itself (identity = its ZeroMQ routing id; the
 *                                     proof of its key when the broker authenticates, broker-auth.ts)
 *   WELCOME 0x04                      broker accepted the identity
 *   REFUSED 0x05, reason (UTF-8)      broker refused it (not in the topology)
 *   BYE     0x06                      node leaves
 *   HELLO_AGAIN 0x07                  broker does not know the node (it restarted): say HELLO again
 */
export const MSG = { FRAMES: 0x01, HELLO: 0x03, WELCOME: 0x04, REFUSED: 0x05, BYE: 0x06, HELLO_AGAIN: 0x07 } as const;

export interface EnvelopeRecord {
  readonly peer: string;
  readonly sentAt: number;
  readonly bytes: Uint8Array;
  /** ReceivedFrame.attack / FrameTrace.attack, carried across processes (at most 255 characters). */
  readonly attack?: string;
}

const RECORD_FIXED = 1 + 8 + 1 + 4;

const attackOf = (r: EnvelopeRecord): string => (r.attack ?? '').slice(0, 255);

const recordSize = (r: EnvelopeRecord): number => RECORD_FIXED + r.peer.length + attackOf(r).length + r.bytes.length;

/** A burst is cut into envelopes of at most this size, so it does not become one huge message. */
export const MAX_ENVELOPE_BYTES = 256 * 1024;

/** End (exclusive) of the records from `start` that fit one envelope; at least one record, however large. */
export function envelopeEnd(records: readonly EnvelopeRecord[], start = 0, maxBytes = MAX_ENVELOPE_BYTES): number {
  let end = start;
  let size = 1;
  while (end < records.length && (end === start || size + recordSize(records[end]!) <= maxBytes)) size += recordSize(records[end++]!);
  return end;
}

export function encodeFrames(records: readonly EnvelopeRecord[], start = 0, end = records.length): Buffer {
  let size = 1;
  for (let i = start; i < end; i++) size += recordSize(records[i]!);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = MSG.FRAMES;
  let o = 1;
  for (let i = start; i < end; i++) {
    const r = records[i]!;
    buf[o++] = r.peer.length;
    o += buf.write(r.peer, o, 'latin1');
    buf.writeDoubleBE(r.sentAt, o);
    o += 8;
    const attack = attackOf(r);
    buf[o++] = attack.length;
    o += buf.write(attack, o, 'latin1');
    buf.writeUInt32BE(r.bytes.length, o);
    o += 4;
    buf.set(r.bytes, o);
    o += r.bytes.length;
  }
  return buf;
}

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/**
 * Calls onRecord for each record of a FRAMES envelope (bytes are views into msg, not copies).
 * Returns the records read; throws EnvelopeError at the first malformed one, after the good ones.
 */
export function decodeFrames(
  msg: Buffer,
  onRecord: (peer: string, sentAt: number, bytes: Uint8Array, attack: string | undefined) => void,
): number {
  if (msg.length < 1 || msg[0] !== MSG.FRAMES) throw new EnvelopeError('not a FRAMES envelope');
  let o = 1;
  let n = 0;
  while (o < msg.length) {
    const peerLen = msg[o]!;
    if (peerLen === 0 || o + 1 + peerLen + 9 > msg.length) throw new EnvelopeError(`record ${n}: truncated header`);
    const peer = msg.toString('latin1', o + 1, o + 1 + peerLen);
    o += 1 + peerLen;
    const sentAt = msg.readDoubleBE(o);
    const attackLen = msg[o + 8]!;
    o += 9;
    if (o + attackLen + 4 > msg.length) throw new EnvelopeError(`record ${n}: truncated header`);
    const attack = attackLen ? msg.toString('latin1', o, o + attackLen) : undefined;
    o += attackLen;
    const len = msg.readUInt32BE(o);
    o += 4;
    if (o + len > msg.length) throw new EnvelopeError(`record ${n}: length ${len} runs past the envelope`);
    onRecord(peer, sentAt, msg.subarray(o, o + len), attack);
    o += len;
    n++;
  }
  return n;
}

export const control = (type: number, text = ''): Buffer => Buffer.concat([Buffer.of(type), Buffer.from(text, 'utf8')]);
