/**
 * Why a node refused a frame. Every refusal is one of these, counted in the `frame_rejected`
 * measurement; nothing that arrives from the wire throws out of a message loop.
 */
export const REJECTION_REASONS = [
  // the bytes do not form a frame
  'truncated',
  'bad-version',
  'unknown-class',
  'bad-field',
  'trailing-bytes',
  // the frame is well formed but not authentic
  'bad-signature',
  'decrypt-failed',
  'untrusted-certificate',
  'unknown-sender',
  'wrong-sender',
  'wrong-recipient',
  'not-expected',
  // authentic but not fresh
  'stale-counter',
  'firmware-rollback',
  'duplicate-response',
  // a copy of the automation command a TN accepted last, as its DC's repetition policy sends them
  'duplicate-command',
  'no-outstanding-request',
  // authentic and fresh but not acceptable now
  'not-enrolled',
  'unexpected-class',
  'firmware-digest',
  'firmware-mismatch',
  // a bug in the node: counted and logged, never allowed to stop the message loop
  'internal-error',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  readonly ok: false;
  readonly reason: RejectionReason;
  /** For logs and tests; never contains key material. */
  readonly detail: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | Rejection;

export const reject = (reason: RejectionReason, detail: string): Rejection => ({ ok: false, reason, detail });
