import type { Random } from '../../core/random';
import { TlsConfigError } from './errors';

/**
 * When a TN channel must be torn down and fully re-established (BSI: re-authentication at least
 * every 48 hours or 5 MB, by a new handshake, not by re-keying).
 *
 * spread: each channel renegotiates a random time (uniform in [0, spreadMs)) before its maximum
 * age, drawn from the TN's seeded stream, so a segment's channels drift apart.
 * synchronized: every channel renegotiates on the same grid, epochMs + k * maxAgeMs, as a fleet
 * does whose channels were all opened together and never jittered: a storm every maxAgeMs.
 */
export type ReconnectSpread = 'spread' | 'synchronized';
export type HandshakeReason = 'initial' | 'age' | 'volume' | 'reconnect' | 'power-restored';

export interface LifetimePolicy {
  readonly maxAgeMs: number;
  readonly maxBytes: number;
  readonly reconnect: ReconnectSpread;
  readonly spreadMs: number;
  /** Origin of the synchronized grid (clock ms). */
  readonly epochMs: number;
}

export const HOUR_MS = 3_600_000;

export const DEFAULT_LIFETIME: LifetimePolicy = {
  maxAgeMs: 48 * HOUR_MS,
  maxBytes: 5 * 1024 * 1024,
  reconnect: 'spread',
  spreadMs: 6 * HOUR_MS,
  epochMs: 0,
};

export function resolveLifetime(options: Partial<LifetimePolicy> | undefined): LifetimePolicy {
  const policy = { ...DEFAULT_LIFETIME, ...options };
  if (!(policy.maxAgeMs > 0)) throw new TlsConfigError(`lifetime.maxAgeMs: ${policy.maxAgeMs} must be positive`);
  if (!(policy.maxBytes > 0)) throw new TlsConfigError(`lifetime.maxBytes: ${policy.maxBytes} must be positive`);
  if (policy.reconnect !== 'spread' && policy.reconnect !== 'synchronized')
    throw new TlsConfigError(`lifetime.reconnect: "${String(policy.reconnect)}" is not spread or synchronized`);
  if (!(policy.spreadMs >= 0 && policy.spreadMs < policy.maxAgeMs))
    throw new TlsConfigError(`lifetime.spreadMs: ${policy.spreadMs} must be in [0, maxAgeMs)`);
  return policy;
}

/** Clock time at which a channel established at `establishedAt` must renegotiate. */
export function renegotiateAt(policy: LifetimePolicy, establishedAt: number, random: Random): number {
  if (policy.reconnect === 'synchronized') {
    const k = Math.floor((establishedAt - policy.epochMs) / policy.maxAgeMs) + 1;
    return policy.epochMs + k * policy.maxAgeMs;
  }
  return establishedAt + policy.maxAgeMs - random.float() * policy.spreadMs;
}
