/**
 * smgw-tls mode's own options (ModeContext.options: the scenario's `smgw-tls:` section, a host's
 * provisioned PKI, a test's knobs) and the configuration the nodes are built with, resolved once
 * and checked, each error naming its option.
 */
import type { NodeId } from '../../core/transport';
import type { ModeContext, PlcSegment } from '../mode';
import { TlsConfigError } from './errors';
import { resolveLifetime, type LifetimePolicy } from './lifetime-policy';
import type { Credential, Pki, TlsCurve } from './pki';
import { DEFAULT_RELIABLE_OPTIONS, type ReliableStreamOptions } from './reliable-stream';
import type { BackoffPolicy } from './tn-channel';
import { tlsFrameHeaderBytes } from './tls-frame';
import type { ChainChoice } from './tls-profile';

export interface TlsModeOptions {
  /** Curve of the PKI and of ECDHE. Default P-256. */
  readonly curve?: TlsCurve;
  /** Channel lifetime: maxAgeMs (48 h), maxBytes (5 MiB), reconnect spread|synchronized, spreadMs (6 h). */
  readonly lifetime?: Partial<LifetimePolicy>;
  /** A handshake not finished by then is abandoned and retried. Default 10 min. */
  readonly handshakeTimeoutMs?: number;
  /** Reconnect backoff after a lost channel or a failed handshake. Default 5 s doubling to 10 min, jittered. */
  readonly backoff?: Partial<BackoffPolicy>;
  /**
   * Certificate messages carry the self-signed root as well as the node's own certificate.
   * Default false: the peer already trusts the root (tls-profile.ts).
   */
  readonly chainWithRoot?: boolean;
  /** Transport tuning below TLS (RTO, delayed ack, window). */
  readonly reliable?: Partial<Omit<ReliableStreamOptions, 'mss'>>;
  /** Largest frame the links accept. Default: the smallest of the PLC segments' (ModeContext.plc). */
  readonly maxFrameBytes?: number;
  /** Fewest channels a busy period of handshakes needs to be reported as a storm. Default 2. */
  readonly minStormTns?: number;
  /** Period of the handshakes_in_progress samples while handshakes run. Default 1 s. */
  readonly sampleIntervalMs?: number;
  /** Spread of the first connections over this window (0: all at once). Default 0. */
  readonly bootstrapSpreadMs?: number;
  /** Messages the HES keeps per TN while its channel is down. Default 64. */
  readonly maxQueuedMessages?: number;
  /**
   * A PKI to use (default: a fresh one for this run, in memory, root key included). A node process
   * of a distributed bench gives what it loaded: the root certificate, and the secrets of its own
   * nodes only (the HES's where the HES is local, each local TN's), never the root's key.
   */
  readonly pki?: Pki;
  /** The credential the HES presents (an attack test makes it an impostor's). */
  readonly hesCredential?: Credential;
  /**
   * The credential a TN presents (attack tests hand out foreign, expired or borrowed ones; one that
   * needs issuing comes from a PkiAuthority the test made and gave as `pki`).
   */
  readonly credentialOf?: (tn: NodeId, pki: Pki) => Credential;
  /**
   * TNs that skip their application counter checks (TlsTnOptions.skipCounterChecks): a planted
   * bug for the oracle's own tests. Never set by a scenario.
   */
  readonly skipCounterChecks?: (tn: NodeId) => boolean;
}

/** What the nodes are built with. */
export interface TlsConfig {
  readonly lifetime: LifetimePolicy;
  readonly reliable: ReliableStreamOptions;
  readonly chain: ChainChoice;
  readonly backoff: BackoffPolicy;
  readonly handshakeTimeoutMs: number;
  readonly minStormTns: number;
  readonly sampleIntervalMs: number;
  readonly bootstrapSpreadMs: number;
  readonly bootstrapTimeoutMs: number;
  readonly maxQueuedMessages: number;
  readonly plc: (dc: NodeId) => PlcSegment;
}

const DEFAULTS = {
  handshakeTimeoutMs: 600_000,
  backoff: { firstMs: 5_000, maxMs: 600_000 },
  minStormTns: 2,
  sampleIntervalMs: 1_000,
  bootstrapTimeoutMs: 1_800_000,
  bootstrapSpreadMs: 0,
  maxQueuedMessages: 64,
} as const;

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new TlsConfigError(`${name}: ${value} must be a positive number`);
  return value;
}

export function resolveTlsConfig(ctx: ModeContext<TlsModeOptions>): TlsConfig {
  const { options, topology } = ctx;
  const lifetime = resolveLifetime(options.lifetime);
  const maxFrameBytes = positive(
    'maxFrameBytes',
    options.maxFrameBytes ?? Math.min(...topology.dcs.map((d) => ctx.plc(d.id).maxFrameBytes)),
  );
  const longestId = Math.max(...topology.tns.map((tn) => tn.length), 1);
  const mss = maxFrameBytes - tlsFrameHeaderBytes('x'.repeat(longestId));
  if (mss < 64) throw new TlsConfigError(`maxFrameBytes: ${maxFrameBytes} leaves ${mss} bytes per frame for TLS`);
  return {
    lifetime,
    reliable: { ...DEFAULT_RELIABLE_OPTIONS, ...options.reliable, mss },
    chain: { withRoot: options.chainWithRoot ?? false },
    backoff: { ...DEFAULTS.backoff, ...options.backoff },
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs),
    minStormTns: options.minStormTns ?? DEFAULTS.minStormTns,
    sampleIntervalMs: options.sampleIntervalMs ?? DEFAULTS.sampleIntervalMs,
    bootstrapSpreadMs: options.bootstrapSpreadMs ?? DEFAULTS.bootstrapSpreadMs,
    bootstrapTimeoutMs: ctx.bootstrapTimeoutMs ?? DEFAULTS.bootstrapTimeoutMs,
    maxQueuedMessages: options.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages,
    plc: ctx.plc,
  };
}
