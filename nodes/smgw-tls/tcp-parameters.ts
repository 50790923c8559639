/**
 * The TCP a smart meter gateway runs beneath TLS, as smgw-tls mode's reliable stream models it
 * (reliable-stream.ts): its parameters, their defaults and where each comes from. Results state
 * them (summary.json's `transport`, perf:tls), so a comparison says which TCP the baseline ran.
 */
export interface ReliableStreamOptions {
  /** Largest payload of one segment (the link's frame limit less the frame header). */
  readonly mss: number;
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  /** Longest an acknowledgement of a lone segment waits for outgoing data to ride on. */
  readonly ackDelayMs: number;
  /** Initial congestion window in segments, capped at 14,600 bytes as RFC 6928 caps it. */
  readonly initialWindowSegments: number;
  readonly maxWindowBytes: number;
  /** Retransmissions of one segment before the connection is declared dead. */
  readonly maxRetransmits: number;
  /** Out-of-order bytes kept at most; more are dropped and come again by retransmission. */
  readonly reorderBufferBytes: number;
}

/**
 * A Linux-like stack, as an SMGW's embedded Linux runs it:
 * - initial window 10 segments (RFC 6928: min(10 MSS, max(2 MSS, 14,600 bytes))), so that a TLS
 *   flight of a few segments leaves at once instead of waiting a round trip per segment;
 * - delayed acknowledgements (RFC 1122 4.2.3.2, RFC 5681 4.2): every second full segment is
 *   acknowledged at once, a segment that ends the sender's flight (PSH) at once too (after the
 *   current turn, so that an answer written in that turn carries the acknowledgement), anything
 *   else after at most 200 ms;
 * - retransmission timeout per RFC 6298: SRTT + 4 RTTVAR, at least 1 s (RFC 6298 2.4), at most
 *   60 s, doubled on each expiry and reset by new data acknowledged, no sample from a
 *   retransmitted segment (Karn); fast and early retransmit on duplicate acknowledgements (RFC
 *   5681, RFC 5827); Reno congestion control. The timer and the round-trip samples run from when
 *   a segment leaves the node (core/transport.ts DepartureListener), not while it waits in the
 *   node's own transmit queue, as a host's TCP times a segment from when it leaves the host; a
 *   copy still in that queue is not sent again. Before the first sample the timeout is 16 s, not
 *   RFC 6298's 1 s (2.1 allows more): a real stack takes its first sample from the SYN round trip,
 *   which this stream does not model, and in a storm the answer to a ClientHello waits at the DC
 *   behind the other TNs' flights (64 frames of up to 250 ms on G3-PLC), so the ClientHello would
 *   be sent again and again, its copies crowding the segment further (with 1 s, a 20-TN storm on
 *   G3-PLC + DSL took 22.3 s instead of 7.7 s, a 50-TN one 56.7 s instead of 19.3 s);
 * - 8 retransmissions of one segment before the connection is declared dead.
 * Connection set-up is implicit (the ClientHello opens the connection: no SYN round trip), close
 * is one FIN or RST frame.
 */
export const DEFAULT_RELIABLE_OPTIONS: Omit<ReliableStreamOptions, 'mss'> = {
  initialRtoMs: 16_000,
  minRtoMs: 1_000,
  maxRtoMs: 60_000,
  ackDelayMs: 200,
  initialWindowSegments: 10,
  maxWindowBytes: 65_535,
  maxRetransmits: 8,
  reorderBufferBytes: 65_536,
};

/** RFC 6928's cap on the initial window, in bytes. */
const IW_CAP_BYTES = 14_600;

/** The initial congestion window in bytes (RFC 6928 (1)), within the window limit. */
export function initialWindowBytes(options: ReliableStreamOptions): number {
  const { mss, initialWindowSegments: segments } = options;
  const rfc6928 = segments <= 2 ? segments * mss : Math.min(segments * mss, Math.max(2 * mss, IW_CAP_BYTES));
  return Math.min(options.maxWindowBytes, rfc6928);
}

/** The parameters as results state them (summary.json's `transport`, perf:tls). */
export function describeTcp(options: ReliableStreamOptions): Record<string, number> {
  return {
    mssBytes: options.mss,
    initialWindowSegments: options.initialWindowSegments,
    initialWindowBytes: initialWindowBytes(options),
    maxWindowBytes: options.maxWindowBytes,
    ackDelayMs: options.ackDelayMs,
    initialRtoMs: options.initialRtoMs,
    minRtoMs: options.minRtoMs,
    maxRtoMs: options.maxRtoMs,
    maxRetransmits: options.maxRetransmits,
  };
}
