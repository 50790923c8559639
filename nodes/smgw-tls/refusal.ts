/**
 * How smgw-tls nodes count what they refuse: one `frame_rejected` sample per refused frame,
 * channel or TLS failure, tagged with the attack label of the attacker bytes that caused it (the
 * bench's measurement aid, ReceivedFrame.attack), so a campaign can attribute it. Honest traffic
 * never carries a label, so it is never attributed.
 */
import { peekClassName } from '../protocol/message-class';
import type { Rejection, RejectionReason } from '../protocol/rejection';
import type { Metrics } from '../../core/metrics';
import type { NodeId } from '../../core/transport';
import { TlsChannelError } from './errors';

export type TlsRole = 'hes' | 'dc' | 'tn';

export interface RefusalTags {
  /** The TN the refusal concerns, when the counting node's metrics are not already tagged with it. */
  readonly tn?: NodeId;
  /** Label of the attack whose frame(s) caused the refusal. */
  readonly attack?: string | undefined;
  /** Class of the refused frame; 'tls-record' unless a frame of another class was refused. */
  readonly class?: string;
}

/** Counts a refused frame or channel in `frame_rejected`, never throws. */
export function countRejection(metrics: Metrics, role: TlsRole, reason: string, from: string, tags: RefusalTags = {}): void {
  metrics.emit(
    'frame_rejected',
    { count: 1, from },
    {
      role,
      class: tags.class ?? 'tls-record',
      reason,
      ...(tags.tn ? { tn: tags.tn } : {}),
      ...(tags.attack ? { attack: tags.attack } : {}),
    },
  );
}

/**
 * Reason and class of a frame that is not a TlsRecord frame. A well-formed frame of a lean-mode
 * class (a forged meter request, automation command or firmware chunk put on a TLS segment) is
 * 'unexpected-class' under its own class name; anything else is the decoder's reason.
 */
export function decodeRefusal(bytes: Uint8Array, rejection: Rejection): { reason: RejectionReason; class: string } {
  const cls = peekClassName(bytes);
  if (rejection.reason === 'unknown-class' && cls !== 'unknown') return { reason: 'unexpected-class', class: cls };
  return { reason: rejection.reason, class: cls === 'unknown' ? 'tls-record' : cls };
}

/**
 * The refusal a TLS stack error stands for, or undefined when the error is not this node refusing
 * bytes: the transport below TLS failed (reset, timeout), or the peer sent an alert (the peer
 * counted its own refusal). Certificate and identity failures are 'untrusted-certificate', a bad
 * handshake signature 'bad-signature', anything else the record layer could not take (bad record
 * MAC, garbage, a message out of place) 'decrypt-failed'.
 */
export function tlsFailureReason(err: Error & { code?: string }): RejectionReason | undefined {
  if (err instanceof TlsChannelError) return undefined;
  const code = err.code ?? '';
  if (/ALERT/.test(code) || /\balert\b/i.test(err.message)) return undefined;
  if (/^(ECONNRESET|EPIPE|ERR_STREAM_|ERR_SOCKET_)/.test(code)) return undefined;
  if (/^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_CERT)/.test(code) || /certificate|identity|self.signed|issuer/i.test(err.message))
    return 'untrusted-certificate';
  if (/signature/i.test(`${code} ${err.message}`)) return 'bad-signature';
  return 'decrypt-failed';
}
