import { sign } from 'node:crypto';
import type { Topology } from '../../core/topology';
import type { AutomationReport, BenchMode, BootstrapReport, FirmwareImage, FirmwareReport, MeterRoundReport, RelayCommand } from '../mode';
import type { ProtocolObserver } from '../oracle/goal-oracle';
import { MANUFACTURER_ID } from '../lean/manufacturer';
import type { ComputeModel } from '../lean/tn';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { Network, NodeId } from '../../core/transport';
import { encodeAppMessage, type AppMessage } from './app-message';
import { TlsDcRouter } from './dc-router';
import { TlsConfigError } from './errors';
import { HandshakeTracker, type HandshakeRecord, type StormReport } from './handshake-tracker';
import { TlsHes } from './hes-node';
import { resolveLifetime, type HandshakeReason, type LifetimePolicy } from './lifetime-policy';
import { createPki, type Credential, type Pki, type TlsCurve } from './pki';
import { DEFAULT_RELIABLE_OPTIONS, type ReliableStreamOptions } from './reliable-stream';
import { NO_AIRTIME, type SegmentAirtime } from '../../core/phy';
import { firmwareSigned, TlsTn, type BackoffPolicy, type RelaySwitch } from './tn-node';
import { tlsFrameHeaderBytes } from './tls-frame';
import { hesContext, tnContext } from './tls-profile';

/**
 * smgw-tls mode on a topology (docs/DESIGN.md 2.2): every TN holds a TLS 1.2 channel to the HES, the DC
 * routes bytes, and the lean workload rides on the channels, once per TN, since nothing can be
 * multicast. Built by createTlsMode(options, deps); driven through BenchMode like lean mode.
 */
export interface TlsModeOptions {
  /** Curve of the PKI and of ECDHE. Default P-256. */
  readonly curve?: TlsCurve;
  /** Channel lifetime: maxAgeMs (48 h), maxBytes (5 MiB), reconnect spread|synchronized, spreadMs (6 h). */
  readonly lifetime?: Partial<LifetimePolicy>;
  /** A handshake not finished by then is abandoned and retried. Default 10 min. */
  readonly handshakeTimeoutMs?: number;
  /** Reconnect backoff after a lost channel or a failed handshake. Default 5 s doubling to 10 min, jittered. */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Transport tuning below TLS (RTO, delayed ack, window). */
  readonly reliable?: Partial<Omit<ReliableStreamOptions, 'mss'>>;
  /** Largest frame the links accept (the PLC profile's maxFrameBytes). Default 1280. */
  readonly maxFrameBytes?: number;
  /** Air-time model of each DC's PLC segment, for the storm bound. Default: none (bound 0). */
  readonly airtime?: SegmentAirtime | ((dc: NodeId) => SegmentAirtime);
  /** Fewest channels a busy period of handshakes needs to be reported as a storm. Default 2. */
  readonly minStormTns?: number;
  /** Period of the handshakes_in_progress samples while handshakes run. Default 1 s. */
  readonly sampleIntervalMs?: number;
  /** How long bootstrap waits for every channel. Default 30 min. */
  readonly bootstrapTimeoutMs?: number;
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
  /** The relay (board) of a TN, switched on an accepted automation command; as lean mode's relayFor. */
  readonly relayFor?: (tn: NodeId) => RelaySwitch | undefined;
  /**
   * The CPU of a TN, as lean mode's computeFor (`computeModel(computeProfile(preset))`): each full
   * handshake holds the TN's second flight for the public-key work it does (FULL_HANDSHAKE_OPS in
   * tn-node.ts: 2 verify, 1 encrypt, 1 sign), and a firmware image waits for its signature check
   * (1 verify). Records cost nothing (symmetric crypto). Undefined: no delay.
   */
  readonly computeFor?: (tn: NodeId) => ComputeModel | undefined;
  /**
   * The nodes this process runs (default: all), as lean mode's `local`: a distributed bench runs
   * the HES, each DC and the TN hosts in separate processes over the broker, each with its part
   * of the same PKI (loaded from the provisioned state, `pki`). Only local nodes attach to the
   * network. What the HES drives (meter rounds, automation, confidential messages, firmware)
   * needs the HES here; bootstrap waits for the local TNs' channels; power restorations reach the
   * local TNs.
   */
  readonly local?: (node: NodeId) => boolean;
  /**
   * The goal oracle (nodes/oracle/goal-oracle.ts), told at the points lean mode tells it: what the
   * HES and each TN hand to their TLS channels (the exact application messages), what the
   * manufacturer signs, and every acceptance (a TN's automation command, meter request,
   * confidential message and firmware install; the HES's meter response), under the key of the
   * authenticated peer of the channel and the application counter of its stream.
   */
  readonly observer?: ProtocolObserver;
  /**
   * TNs that skip their application counter checks (TlsTnOptions.skipCounterChecks): a planted
   * bug for the oracle's own tests. Never set by a scenario.
   */
  readonly skipCounterChecks?: (tn: NodeId) => boolean;
}

export interface TlsModeDeps {
  readonly clock: Clock;
  readonly network: Network;
  readonly topology: Topology;
  readonly random: Random;
  readonly metrics: Metrics;
}

export interface TlsModeStats {
  readonly handshakes: number;
  readonly failedHandshakes: number;
  readonly lostChannels: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly channelsUp: number;
}

/** TLS 1.2 AES-GCM record: 5 header + 8 explicit nonce + 16 tag bytes around the plaintext. */
export const TLS_RECORD_OVERHEAD = 5 + 8 + 16;

export interface TlsMode extends BenchMode {
  readonly name: 'smgw-tls';
  readonly pki: Pki;
  /** The HES; only in the process that runs it. */
  readonly hes: TlsHes;
  /** A TN this process runs. */
  tn(id: NodeId): TlsTn;
  /** Every handshake so far, in the order they finished. */
  handshakes(): HandshakeRecord[];
  storms(): StormReport[];
  stats(): TlsModeStats;
  /** Every TN of the segment lost power and got it back at once; resolves with the storm. */
  powerRestored(dc: NodeId): Promise<StormReport | undefined>;
  /** Every TN of the segment renegotiates now (a synchronized lifetime expiry); resolves with the storm. */
  renegotiateAll(dc: NodeId, reason: HandshakeReason): Promise<StormReport | undefined>;
  /** Renegotiates one channel offering its session ticket: an abbreviated handshake, measured once. */
  measureResumedHandshake(tn: NodeId): Promise<HandshakeRecord | undefined>;
}

const DEFAULTS = {
  handshakeTimeoutMs: 600_000,
  backoff: { firstMs: 5_000, maxMs: 600_000 },
  maxFrameBytes: 1280,
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

export function createTlsMode(options: TlsModeOptions, deps: TlsModeDeps): TlsMode {
  const { clock, network, topology } = deps;
  const metrics = deps.metrics.with({ mode: 'smgw-tls' });
  const lifetime = resolveLifetime(options.lifetime);
  const maxFrameBytes = positive('maxFrameBytes', options.maxFrameBytes ?? DEFAULTS.maxFrameBytes);
  const longestId = Math.max(...topology.tns.map((tn) => tn.length), 1);
  const mss = maxFrameBytes - tlsFrameHeaderBytes('x'.repeat(longestId));
  if (mss < 64) throw new TlsConfigError(`maxFrameBytes: ${maxFrameBytes} leaves ${mss} bytes per frame for TLS`);
  const reliable: ReliableStreamOptions = { ...DEFAULT_RELIABLE_OPTIONS, ...options.reliable, mss };
  const backoff: BackoffPolicy = { ...DEFAULTS.backoff, ...options.backoff };
  const handshakeTimeoutMs = positive('handshakeTimeoutMs', options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs);
  const airtimeOf = (dc: NodeId): SegmentAirtime =>
    typeof options.airtime === 'function' ? options.airtime(dc) : (options.airtime ?? NO_AIRTIME);
  const pki = options.pki ?? createPki({ curve: options.curve ?? 'P-256', hes: topology.hes, tns: topology.tns });
  if (options.curve && options.pki && options.pki.curve !== options.curve)
    throw new TlsConfigError(`curve: ${options.curve} differs from the given PKI's ${options.pki.curve}`);
  if (pki.hesId !== topology.hes) throw new TlsConfigError(`pki: the PKI's HES is "${pki.hesId}", the topology's "${topology.hes}"`);
  const local = options.local ?? (() => true);

  const hesNode = local(topology.hes)
    ? new TlsHes(
        {
          dcOf: (tn) => topology.dcOf(tn),
          reliable,
          maxQueuedMessages: options.maxQueuedMessages ?? DEFAULTS.maxQueuedMessages,
          ...(options.observer ? { observer: options.observer } : {}),
        },
        {
          context: hesContext(pki, false, options.hesCredential),
          resumptionContext: hesContext(pki, true, options.hesCredential),
          rootPem: pki.rootPem,
        },
        { id: topology.hes, clock, transport: network.attach(topology.hes), metrics },
      )
    : undefined;
  const hesOf = (): TlsHes => {
    if (!hesNode) throw new TlsConfigError('hes: the HES does not run in this process');
    return hesNode;
  };
  const routers: TlsDcRouter[] = [];
  const trackers = new Map<NodeId, HandshakeTracker>();
  const tns = new Map<NodeId, TlsTn>();
  const automationCounters = new Map<NodeId, number>();
  const handshakeLog: HandshakeRecord[] = [];
  const handshakeListeners = new Set<(record: HandshakeRecord) => void>();

  for (const { id: dc, tns: segment } of topology.dcs) {
    const dcMetrics = metrics.with({ segment: dc, dc });
    if (local(dc))
      routers.push(
        new TlsDcRouter({ hes: topology.hes, tns: segment }, { id: dc, clock, transport: network.attach(dc), metrics: dcMetrics }),
      );
    const tracker = new HandshakeTracker(
      {
        dc,
        airtime: airtimeOf(dc),
        minStormTns: options.minStormTns ?? DEFAULTS.minStormTns,
        sampleIntervalMs: options.sampleIntervalMs ?? DEFAULTS.sampleIntervalMs,
      },
      clock,
      dcMetrics,
    );
    trackers.set(dc, tracker);
    for (const tn of segment.filter(local)) {
      const credential = options.credentialOf?.(tn, pki) ?? pki.tn(tn);
      const relay = options.relayFor?.(tn);
      const compute = options.computeFor?.(tn);
      tns.set(
        tn,
        new TlsTn(
          {
            dc,
            hes: topology.hes,
            lifetime,
            handshakeTimeoutMs,
            backoff,
            reliable,
            airtime: airtimeOf(dc),
            ...(compute ? { compute } : {}),
            ...(options.skipCounterChecks?.(tn) ? { skipCounterChecks: true } : {}),
          },
          { context: tnContext(pki, credential), manufacturerPublicKey: pki.manufacturerPublicKey },
          {
            tracker,
            ...(relay ? { relay } : {}),
            ...(options.observer ? { observer: options.observer } : {}),
            onHandshake: (record) => {
              handshakeLog.push(record);
              for (const listener of handshakeListeners) listener(record);
            },
          },
          { id: tn, clock, transport: network.attach(tn), metrics: dcMetrics.with({ tn }), random: deps.random.fork(`tls:${tn}`) },
        ),
      );
    }
  }

  const tnOf = (id: NodeId): TlsTn => {
    const tn = tns.get(id);
    if (!tn)
      throw new TlsConfigError(`tn: "${id}" is not a TN of the topology${topology.roleOf(id) === 'tn' ? ' run by this process' : ''}`);
    return tn;
  };
  const trackerOf = (dc: NodeId): HandshakeTracker => {
    const tracker = trackers.get(dc);
    if (!tracker) throw new TlsConfigError(`dc: "${dc}" is not a DC of the topology`);
    return tracker;
  };

  /** Resolves when `done()` is true after an event, or at the deadline; the caller runs the clock. */
  function waitFor(subscribe: (check: () => void) => () => void, done: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (done()) return resolve(true);
      let unsubscribe = (): void => {};
      const timer = clock.setTimer(timeoutMs, () => {
        unsubscribe();
        resolve(false);
      });
      unsubscribe = subscribe(() => {
        if (!done()) return;
        timer.cancel();
        unsubscribe();
        resolve(true);
      });
    });
  }

  /**
   * The HES sends every TN of the topology `request` and waits until each gave an answer that
   * `answers` takes, or `timeoutMs` passed: who did not answer, and the time from `startedAt` to
   * the last answer (to the timeout when some are missing).
   */
  async function askEveryTn(
    hes: TlsHes,
    request: AppMessage,
    answers: (message: AppMessage) => boolean,
    startedAt: number,
    timeoutMs: number,
  ): Promise<{ missing: NodeId[]; durationMs: number }> {
    const waiting = new Set(topology.tns);
    let lastAt = startedAt;
    const stop = hes.onMessage((tn, message) => {
      if (!answers(message) || !waiting.has(tn)) return;
      waiting.delete(tn);
      lastAt = clock.now();
    });
    for (const tn of topology.tns) hes.send(tn, request);
    const all = await waitFor(
      (check) => hes.onMessage(check),
      () => waiting.size === 0,
      timeoutMs,
    );
    stop();
    return { missing: [...waiting], durationMs: (all ? lastAt : clock.now()) - startedAt };
  }

  /** A TN of the topology, wherever it runs: the HES addresses every one. */
  const checkTn = (id: NodeId): void => {
    if (topology.roleOf(id) !== 'tn') throw new TlsConfigError(`tn: "${id}" is not a TN of the topology`);
  };
  /** The TNs of a segment that this process runs. */
  const localTnsOf = (dc: NodeId): TlsTn[] => topology.tnsOf(dc).flatMap((tn) => tns.get(tn) ?? []);

  /** Every TN of the segment that this process runs does `act` at once; resolves with the storm it makes. */
  function stormOf(dc: NodeId, act: (tn: TlsTn) => void): Promise<StormReport | undefined> {
    const tracker = trackerOf(dc);
    const segment = localTnsOf(dc);
    // no TN of the segment here: nothing happens in this process, and no storm is seen
    if (segment.length === 0) return Promise.resolve(undefined);
    const storm = tracker.nextEpisode();
    for (const tn of segment) act(tn);
    return storm;
  }

  let meterRound = 0;
  let confidentialCounter = 0;
  const mode: TlsMode = {
    name: 'smgw-tls',
    pki,
    get hes() {
      return hesOf();
    },
    tn: tnOf,
    handshakes: () => [...handshakeLog],
    storms: () => [...trackers.values()].flatMap((t) => t.storms),

    async bootstrap(): Promise<BootstrapReport> {
      const startedAt = clock.now();
      const spread = options.bootstrapSpreadMs ?? DEFAULTS.bootstrapSpreadMs;
      const all = [...tns.keys()];
      // Enrolled: the HES accepted the TN's certificate and the TN accepted the HES's. A TN whose
      // HES runs in another process counts once its own side is up (the HES checks the TN's
      // certificate before it sends its Finished, which the TN waits for).
      const acceptedByHes = new Set<NodeId>(hesNode ? [] : all);
      const upAtTn = new Set<NodeId>();
      const enrolled = new Set<NodeId>();
      let lastAt = startedAt;
      const changed = new Set<() => void>();
      const note = (tn: NodeId): void => {
        if (enrolled.has(tn) || !acceptedByHes.has(tn) || !upAtTn.has(tn)) return;
        enrolled.add(tn);
        lastAt = clock.now();
        const dc = topology.dcOf(tn)!;
        metrics.emit('bootstrap', { duration_ms: lastAt - startedAt }, { role: 'tn', segment: dc, dc, tn });
        for (const check of changed) check();
      };
      const stopHes =
        hesNode?.onAccepted((tn) => {
          acceptedByHes.add(tn);
          note(tn);
        }) ?? (() => {});
      handshakeListeners.add((record) => {
        if (!record.ok) return;
        upAtTn.add(record.tn);
        note(record.tn);
      });
      const offsets = deps.random.fork('tls:bootstrap');
      for (const tn of tns.values()) {
        if (spread > 0) clock.setTimer(offsets.float() * spread, () => tn.start('initial'));
        else tn.start('initial');
      }
      await waitFor(
        (check) => {
          changed.add(check);
          return () => changed.delete(check);
        },
        () => enrolled.size === all.length,
        options.bootstrapTimeoutMs ?? DEFAULTS.bootstrapTimeoutMs,
      );
      stopHes();
      handshakeListeners.clear();
      return { enrolled: enrolled.size, failed: all.filter((tn) => !enrolled.has(tn)), durationMs: lastAt - startedAt };
    },

    async meterRound(timeoutMs: number): Promise<MeterRoundReport> {
      const hes = hesOf();
      const round = ++meterRound;
      const { missing, durationMs } = await askEveryTn(
        hes,
        { type: 'meter-request', round },
        (answer) => answer.type === 'meter-response' && answer.round === round,
        clock.now(),
        timeoutMs,
      );
      const responses = topology.tns.length - missing.length;
      metrics.emit('meter_round', { counter: round, duration_ms: durationMs, responses, missing: missing.length });
      return { round, durationMs, responses, missing };
    },

    automation(dc: NodeId, command: RelayCommand): AutomationReport {
      trackerOf(dc);
      const hes = hesOf();
      const counter = (automationCounters.get(dc) ?? 0) + 1;
      automationCounters.set(dc, counter);
      // The TNs learn this time from the frames that carry the command (issue-stamps.ts).
      const issuedAt = clock.now();
      const segment = topology.tnsOf(dc);
      let segmentBytes = 0;
      for (const tn of segment) {
        const plaintext = hes.send(tn, { type: 'automation', counter, relay: command.relay });
        // One TLS record down in one frame, and the TN's transport acknowledgement back up.
        segmentBytes += tlsFrameHeaderBytes(tn) + TLS_RECORD_OVERHEAD + plaintext + tlsFrameHeaderBytes(tn);
      }
      return { issuedAt, addressed: segment.length, segmentBytes };
    },

    confidential(tn: NodeId, payload: Uint8Array): void {
      checkTn(tn);
      const hes = hesOf();
      hes.send(tn, { type: 'confidential', counter: ++confidentialCounter, payload });
    },

    async firmware(image: FirmwareImage, timeoutMs: number): Promise<FirmwareReport> {
      const hes = hesOf();
      const startedAt = clock.now();
      const signed = firmwareSigned(image.version, image.image);
      const signature = new Uint8Array(sign('sha256', signed, pki.firmwareSigningKey()));
      // The manufacturer issued it, as lean mode tells the oracle of a manifest it signs.
      options.observer?.sent(MANUFACTURER_ID, signed);
      const { missing, durationMs } = await askEveryTn(
        hes,
        { type: 'firmware', version: image.version, signature, image: image.image },
        (answer) => answer.type === 'firmware-installed' && answer.version === image.version,
        startedAt,
        timeoutMs,
      );
      return { version: image.version, installed: topology.tns.length - missing.length, missing, durationMs };
    },

    stats(): TlsModeStats {
      let handshakes = 0;
      let failedHandshakes = 0;
      let lostChannels = 0;
      let channelsUp = 0;
      for (const tn of tns.values()) {
        handshakes += tn.stats.handshakes;
        failedHandshakes += tn.stats.failedHandshakes;
        lostChannels += tn.stats.lostChannels;
        if (hesNode?.isAccepted(tn.id)) channelsUp++;
      }
      return { handshakes, failedHandshakes, lostChannels, refused: { ...hesNode?.stats.refused }, channelsUp };
    },

    powerRestored: (dc: NodeId) => stormOf(dc, (tn) => tn.powerRestored()),
    renegotiateAll: (dc: NodeId, reason: HandshakeReason) => stormOf(dc, (tn) => tn.renegotiate(reason)),

    async measureResumedHandshake(id: NodeId): Promise<HandshakeRecord | undefined> {
      const tn = tnOf(id);
      const hes = hesOf();
      const tracker = trackerOf(topology.dcOf(id)!);
      hes.allowResumption(id, true);
      try {
        // A full handshake on the ticket-issuing context first, then one that offers its ticket.
        let episode = tracker.nextEpisode();
        tn.renegotiate('reconnect');
        await episode;
        const before = handshakeLog.length;
        episode = tracker.nextEpisode();
        tn.renegotiate('reconnect', true);
        await episode;
        return handshakeLog.slice(before).find((r) => r.tn === id && r.ok);
      } finally {
        hes.allowResumption(id, false);
      }
    },

    async close(): Promise<void> {
      await Promise.all([...tns.values()].map((tn) => tn.close()));
      await Promise.all(routers.map((r) => r.close()));
      await hesNode?.close();
    },
  };
  return mode;
}

/** Plaintext bytes of one automation command on a channel (for reports that predict segment bytes). */
export const automationPlaintextBytes = (): number => encodeAppMessage({ type: 'automation', counter: 1, relay: 'on' }).length;
