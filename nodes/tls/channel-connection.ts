import type { Clock } from '../runtime/clock';
import type { NodeId } from '../runtime/transport';
import { ReliableStream, type ReliableStreamOptions } from './reliable-stream';
import { phyBytes, type SegmentAirtime } from './segment-airtime';
import { encodeTlsFrame, type TlsFrame } from './tls-frame';

/**
 * One TLS connection's transport end (TN or HES side): the reliable stream plus what it put on and
 * took off the wire. "Clean" counts leave out retransmitted and duplicate payload, so a
 * handshake's clean size is what it would have cost on a medium that loses nothing.
 */
export interface WireCounters {
  framesOut: number;
  bytesOut: number;
  framesIn: number;
  bytesIn: number;
  /** Byte-times on the segment (PHY overhead included) of first transmissions sent and received. */
  cleanPhyBytes: number;
  /** TLS bytes carried (payload only, both directions, duplicates excluded): the volume the policy limits. */
  streamBytes: number;
}

export const emptyCounters = (): WireCounters => ({
  framesOut: 0,
  bytesOut: 0,
  framesIn: 0,
  bytesIn: 0,
  cleanPhyBytes: 0,
  streamBytes: 0,
});

export class ChannelConnection {
  readonly stream: ReliableStream;
  readonly counters = emptyCounters();

  constructor(
    readonly tn: NodeId,
    readonly conn: number,
    clock: Clock,
    send: (frame: Uint8Array) => void,
    options: ReliableStreamOptions,
    private readonly airtime: SegmentAirtime,
  ) {
    this.stream = new ReliableStream(
      clock,
      (segment, meta) => {
        const bytes = encodeTlsFrame({ tn, conn, ...segment });
        this.counters.framesOut++;
        this.counters.bytesOut += bytes.length;
        if (!meta.retransmission) {
          this.counters.cleanPhyBytes += phyBytes(airtime, bytes.length);
          this.counters.streamBytes += segment.payload.length;
        }
        send(bytes);
      },
      options,
    );
  }

  /** Feeds a frame of this connection from the wire. */
  receive(frame: TlsFrame, wireBytes: number): void {
    this.counters.framesIn++;
    this.counters.bytesIn += wireBytes;
    const duplicate = frame.payload.length > 0 && frame.seq + frame.payload.length <= this.stream.receivedOffset;
    if (!duplicate) {
      this.counters.cleanPhyBytes += phyBytes(this.airtime, wireBytes);
      this.counters.streamBytes += frame.payload.length;
    }
    this.stream.receive(frame);
  }
}
