import type { Clock } from '../../core/clock';
import type { DepartureListener, FrameTrace, NodeId } from '../../core/transport';
import { InboundStamps, OutboundStamps } from './issue-stamps';
import { ReliableStream, type ReliableStreamOptions, type SegmentFate } from './reliable-stream';
import { phyBytes, type SegmentAirtime } from '../../core/phy';
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
  /**
   * Label of the last attacker frame (ReceivedFrame.attack) whose bytes the stream took in: a TLS
   * failure of this connection (bad record MAC, a handshake that breaks) is attributed to it.
   */
  lastAttack: string | undefined;
  /**
   * Set by the owner once the TLS handshake is done. Until then the data this end sends carries
   * lastAttack on (first transmissions only): the handshake transcript is shared, so bytes altered
   * on one leg make the other end's check fail (a CertificateVerify or ServerKeyExchange signature,
   * a Finished), and that refusal belongs to the same attack. Nothing is labelled once the
   * handshake is done (a record altered after it fails at once where it arrives), nor on a
   * connection no attacker bytes reached.
   */
  handshakeDone = false;
  /** The HES end stamps its frames with the issue time of the data they carry (issue-stamps.ts). */
  readonly outbound: OutboundStamps | undefined;
  /** What the frames each message came in carried: the HES's stamps (read back at the TN), attack labels (both ends). */
  readonly inbound = new InboundStamps();

  constructor(
    readonly tn: NodeId,
    readonly conn: number,
    clock: Clock,
    send: (frame: Uint8Array, trace: FrameTrace | undefined, departed: DepartureListener | undefined) => void,
    options: ReliableStreamOptions,
    private readonly airtime: SegmentAirtime,
    stamps: 'outbound' | 'inbound',
  ) {
    this.outbound = stamps === 'outbound' ? new OutboundStamps() : undefined;
    this.stream = new ReliableStream(
      clock,
      (segment, meta, departed) => {
        const bytes = encodeTlsFrame({ tn, conn, ...segment });
        this.counters.framesOut++;
        this.counters.bytesOut += bytes.length;
        if (!meta.retransmission) {
          this.counters.cleanPhyBytes += phyBytes(airtime, bytes.length);
          this.counters.streamBytes += segment.payload.length;
        }
        const taint = this.lastAttack !== undefined && !this.handshakeDone && !meta.retransmission && segment.payload.length > 0;
        const { seq, payload } = segment;
        const sentAt = payload.length > 0 ? this.outbound?.issuedAt(seq, seq + payload.length, this.stream.acknowledgedOffset) : undefined;
        send(
          bytes,
          sentAt !== undefined || taint
            ? { ...(sentAt !== undefined ? { sentAt } : {}), ...(taint ? { attack: this.lastAttack } : {}) }
            : undefined,
          departed,
        );
      },
      options,
    );
    const { outbound, inbound } = this;
    if (outbound) this.stream.onSend = (chunk) => outbound.sent(chunk);
    this.stream.onDeliver = (chunk) => inbound.delivered(chunk);
  }

  /**
   * Feeds a frame of this connection from the wire, with the attack label it carried if any, and
   * tells what the stream made of it: a duplicate or out-of-window segment had no effect.
   */
  receive(frame: TlsFrame, wireBytes: number, attack?: string, sentAt?: number): SegmentFate {
    this.counters.framesIn++;
    this.counters.bytesIn += wireBytes;
    const duplicate = frame.payload.length > 0 && frame.seq + frame.payload.length <= this.stream.receivedOffset;
    if (!duplicate) {
      this.counters.cleanPhyBytes += phyBytes(this.airtime, wireBytes);
      this.counters.streamBytes += frame.payload.length;
    }
    // Set before the stream takes the bytes: TLS reads them, and may fail, inside receive().
    const before = this.lastAttack;
    if (attack) this.lastAttack = attack;
    // Heard before the stream takes the bytes: it delivers them inside receive().
    const untake = this.inbound.received(frame.seq, frame.payload.length, sentAt, attack);
    const fate = this.stream.receive(frame);
    if (fate !== 'accepted') {
      this.lastAttack = before;
      untake();
    }
    return fate;
  }
}
