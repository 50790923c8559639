/**
 * The TlsRecord frame: how TLS bytes of one TN's channel travel hop by hop (TN - DC - HES).
 *
 *   [version u8][class 0x20][flags u8][tn id: u8 length + ASCII][conn u32][seq u32][ack u32][payload]
 *
 * It plays the part TCP/IPv6 plays under TLS on a real G3-PLC network: the TN id is the routing
 * address the DC reads (like a router reads a destination address), conn tells one TLS connection
 * of a TN from the next, seq/ack make the byte stream reliable and ordered over a lossy medium.
 * Everything here is in the clear, as TCP/IP headers are; all protection is inside the TLS bytes.
 */
import { boundary, ByteReader, ByteWriter, DecodeFailure } from '../protocol/bytes';
import { MessageClass, WIRE_VERSION } from '../protocol/message-class';
import type { Result } from '../protocol/rejection';
import type { NodeId } from '../../core/transport';

export const FLAG = {
  /** The sender will send no more data on this connection (orderly close). */
  fin: 0x01,
  /** The sender dropped the connection (refused, aborted or unknown); the receiver drops it too. */
  rst: 0x02,
  /** The segment ends what the sender's application wrote (TCP's PSH): the receiver acknowledges it without delay. */
  psh: 0x04,
} as const;
const KNOWN_FLAGS = FLAG.fin | FLAG.rst | FLAG.psh;

export interface TlsFrame {
  readonly tn: NodeId;
  readonly conn: number;
  readonly flags: number;
  /** Stream offset of the first payload byte. */
  readonly seq: number;
  /** Next stream offset the sender expects from its peer (cumulative acknowledgement). */
  readonly ack: number;
  readonly payload: Uint8Array;
}

/** Header bytes of a frame for this TN (everything but the payload). */
export const tlsFrameHeaderBytes = (tn: NodeId): number => 2 + 1 + 1 + tn.length + 12;

export function encodeTlsFrame(frame: TlsFrame): Uint8Array {
  return new ByteWriter(tlsFrameHeaderBytes(frame.tn) + frame.payload.length)
    .u8(WIRE_VERSION)
    .u8(MessageClass.TlsRecord)
    .u8(frame.flags)
    .id(frame.tn)
    .u32(frame.conn)
    .u32(frame.seq)
    .u32(frame.ack)
    .bytes(frame.payload)
    .finish();
}

/** Never throws: anything that is not a well-formed TlsRecord frame is a typed rejection. */
export function decodeTlsFrame(bytes: Uint8Array): Result<TlsFrame> {
  return boundary('tls-record', () => {
    const r = new ByteReader(bytes);
    const version = r.u8('version');
    if (version !== WIRE_VERSION) throw new DecodeFailure('bad-version', `wire version ${version}, expected ${WIRE_VERSION}`);
    const cls = r.u8('class');
    if (cls !== MessageClass.TlsRecord) throw new DecodeFailure('unknown-class', `class 0x${cls.toString(16)} is not tls-record`);
    const flags = r.u8('flags');
    if (flags & ~KNOWN_FLAGS) throw new DecodeFailure('bad-field', `flags 0x${flags.toString(16)} has unknown bits`);
    const tn = r.id('tn');
    const conn = r.u32('conn');
    const seq = r.u32('seq');
    const ack = r.u32('ack');
    const payload = r.rest();
    return { tn, conn, flags, seq, ack, payload };
  });
}
