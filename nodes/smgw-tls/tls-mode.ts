/**
 * smgw-tls mode on a topology (docs/DESIGN.md 2.2): every TN holds a TLS 1.2 channel to the HES, the
 * DC routes bytes, and the lean workload rides on the channels, once per TN, since nothing can be
 * multicast. Driven through the BenchMode contract (nodes/mode.ts) like lean mode; built by the
 * registry (nodes/modes.ts, entry in ./definition.ts). The nodes are in tls-fleet.ts, the HES's
 * rounds in hes-rounds.ts, enrolment in tls-enrolment.ts, storms in tls-storms.ts.
 */
import { sign, X509Certificate } from 'node:crypto';
import type { NodeId } from '../../core/transport';
import type {
  AutomationReport,
  BenchMode,
  BootstrapReport,
  FirmwareImage,
  FirmwareReport,
  MeterRegisters,
  MeterRoundReport,
  ModeContext,
  ModeStats,
  RelayCommand,
  StormReport,
} from '../mode';
import { MANUFACTURER_ID } from '../oracle/goal-oracle';
import { RefusalTally } from '../refusal-tally';
import { encodeAppMessage } from './app-message';
import { TlsConfigError } from './errors';
import type { HandshakeRecord } from './handshake-tracker';
import type { TlsHes } from './hes-node';
import { askEveryTn } from './hes-rounds';
import type { HandshakeReason } from './lifetime-policy';
import { createPki, PkiAuthority, type Credential, type Pki } from './pki';
import { checkedCredential } from './pki-store';
import { resolveTlsConfig, type TlsModeOptions } from './tls-config';
import { awaitEnrolment } from './tls-enrolment';
import { TlsFleet } from './tls-fleet';
import { describeTcp } from './tcp-parameters';
import { tlsFrameHeaderBytes } from './tls-frame';
import { measureResumedHandshake, stormOf } from './tls-storms';
import { firmwareSigned, type TlsTn } from './tn-node';

export type { TlsModeOptions } from './tls-config';

/** TLS 1.2 AES-GCM record: 5 header + 8 explicit nonce + 16 tag bytes around the plaintext. */
export const TLS_RECORD_OVERHEAD = 5 + 8 + 16;

export interface TlsMode extends BenchMode {
  readonly name: 'smgw-tls';
  readonly pki: Pki;
  /** The HES; only in the process that runs it. */
  readonly hes: TlsHes;
  /** A TN this process runs. */
  tn(id: NodeId): TlsTn;
  /** The credential a TN of this process presents: its current unit's. */
  credentialOf(tn: NodeId): Credential;
  /** Every handshake so far, in the order they finished. */
  handshakes(): HandshakeRecord[];
  storms(): StormReport[];
  /** Every TN of the segment renegotiates now (a synchronized lifetime expiry); resolves with the storm. */
  renegotiateAll(dc: NodeId, reason: HandshakeReason): Promise<StormReport | undefined>;
  /** Renegotiates one channel offering its session ticket: an abbreviated handshake, measured once. */
  measureResumedHandshake(tn: NodeId): Promise<HandshakeRecord | undefined>;
  /** In the HES's process: a TN's new unit registered from another process (ModeContext.operator), by its certificate (DER). */
  admit(node: NodeId, certificate: unknown): void;
}

export function createTlsMode(ctx: ModeContext<TlsModeOptions>): TlsMode {
  const { clock, topology, options, observer } = ctx;
  const refusals = new RefusalTally();
  const metrics = refusals.counting(ctx.metrics.with({ mode: 'smgw-tls' }));
  const config = resolveTlsConfig(ctx);
  const pki = options.pki ?? createPki({ curve: options.curve ?? 'P-256', hes: topology.hes, tns: topology.tns });
  if (options.curve && options.pki && options.pki.curve !== options.curve)
    throw new TlsConfigError(`curve: ${options.curve} differs from the given PKI's ${options.pki.curve}`);
  if (pki.hesId !== topology.hes) throw new TlsConfigError(`pki: the PKI's HES is "${pki.hesId}", the topology's "${topology.hes}"`);
  const fleet = new TlsFleet(ctx, config, pki, metrics);

  const hesOf = (): TlsHes => {
    if (!fleet.hes) throw new TlsConfigError('hes: the HES does not run in this process');
    return fleet.hes;
  };
  /** A TN of the topology, wherever it runs: the HES addresses every one. */
  const checkTn = (id: NodeId): void => {
    if (topology.roleOf(id) !== 'tn') throw new TlsConfigError(`tn: "${id}" is not a TN of the topology`);
  };
  /** Enrolled: the `bootstrap` sample of a TN, timed from the start of its enrolment. */
  const enrolledSince = (startedAt: number) => (tn: NodeId) => {
    const dc = topology.dcOf(tn)!;
    metrics.emit('bootstrap', { duration_ms: clock.now() - startedAt }, { role: 'tn', segment: dc, dc, tn });
  };

  let meterRound = 0;
  let confidentialCounter = 0;
  const automationCounters = new Map<NodeId, number>();
  let closing: Promise<void> | undefined;
  // what waits on the nodes (rounds, enrolments) ends when the mode closes, its timers with it
  const closed = new AbortController();
  return {
    name: 'smgw-tls',
    parameters: { tcp: describeTcp(config.reliable), chainWithRoot: config.chain.withRoot },
    pki,
    get hes() {
      return hesOf();
    },
    tn: (id) => fleet.tn(id),
    credentialOf: (id) => fleet.credentialOf(id),
    handshakes: () => [...fleet.handshakes],
    storms: () => topology.dcs.flatMap((d) => fleet.tracker(d.id).storms),

    async bootstrap(): Promise<BootstrapReport> {
      const startedAt = clock.now();
      const all = [...fleet.tns.keys()];
      const offsets = ctx.random.fork('tls:bootstrap');
      const { enrolled, lastAt } = await awaitEnrolment(
        fleet,
        clock,
        all,
        config.bootstrapTimeoutMs,
        () => {
          for (const tn of fleet.tns.values()) {
            if (config.bootstrapSpreadMs > 0) clock.setTimer(offsets.float() * config.bootstrapSpreadMs, () => tn.start('initial'));
            else tn.start('initial');
          }
        },
        enrolledSince(startedAt),
        closed.signal,
      );
      return { enrolled: enrolled.size, failed: all.filter((tn) => !enrolled.has(tn)), durationMs: lastAt - startedAt };
    },

    async meterRound(timeoutMs: number): Promise<MeterRoundReport> {
      const hes = hesOf();
      const round = ++meterRound;
      const { answers, missing, durationMs } = await askEveryTn(
        hes,
        clock,
        topology.tns,
        { type: 'meter-request', round },
        (answer) => answer.type === 'meter-response' && answer.round === round,
        clock.now(),
        timeoutMs,
        closed.signal,
      );
      const responses = topology.tns.length - missing.length;
      metrics.emit('meter_round', { counter: round, duration_ms: durationMs, responses, missing: missing.length });
      const readings = new Map<NodeId, MeterRegisters>();
      for (const [tn, answer] of answers) if (answer.type === 'meter-response') readings.set(tn, answer.registers);
      return { round, durationMs, responses, missing, readings };
    },

    /** Nothing is multicast: the HES sends each command down every TN's channel (the DC only routes bytes). */
    automationIssuer: () => topology.hes,

    automation(dc: NodeId, command: RelayCommand): AutomationReport {
      fleet.tracker(dc);
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
      hesOf().send(tn, { type: 'confidential', counter: ++confidentialCounter, payload });
    },

    async firmware(image: FirmwareImage, timeoutMs: number): Promise<FirmwareReport> {
      const hes = hesOf();
      const startedAt = clock.now();
      const signed = firmwareSigned(image.version, image.image);
      const signature = new Uint8Array(sign('sha256', signed, pki.firmwareSigningKey()));
      // The manufacturer issued it, as lean mode tells the oracle of a manifest it signs.
      observer?.sent(MANUFACTURER_ID, signed);
      const { missing, durationMs } = await askEveryTn(
        hes,
        clock,
        topology.tns,
        { type: 'firmware', version: image.version, signature, image: image.image },
        (answer) => answer.type === 'firmware-installed' && answer.version === image.version,
        startedAt,
        timeoutMs,
        closed.signal,
      );
      return { version: image.version, installed: topology.tns.length - missing.length, missing, durationMs };
    },

    /** Every TN of the segment lost power and got it back at once; resolves with the storm. */
    powerRestored: (dc: NodeId) => stormOf(fleet, dc, (tn) => tn.powerRestored()),
    renegotiateAll: (dc: NodeId, reason: HandshakeReason) => stormOf(fleet, dc, (tn) => tn.renegotiate(reason)),
    measureResumedHandshake: (id: NodeId) => measureResumedHandshake(fleet, hesOf(), id),

    /**
     * A TN: the PKI issues the new unit a certificate of its own (in a distributed bench the
     * operator does, who holds the root: ModeContext.operator), the operator registers it at the
     * HES (which from then on refuses the old unit's), and the new unit's first handshake is its
     * enrolment. A DC: a new router, which holds no credential.
     */
    async replace(node: NodeId): Promise<void> {
      const role = topology.roleOf(node);
      if (role === 'dc') return fleet.replaceDc(node);
      if (role !== 'tn') throw new TlsConfigError(`replace: only DCs and TNs can be replaced, not "${node}"`);
      const { operator } = ctx;
      if (!fleet.tns.has(node) || (!fleet.hes && !operator))
        throw new TlsConfigError(`replace: replacing ${node} needs ${node} and the HES in this process`);
      let credential: Credential;
      if (pki instanceof PkiAuthority) credential = pki.issue(node);
      else if (operator) credential = replacementCredential(node, await operator.issue(node), pki.rootPem);
      else throw new TlsConfigError(`replace: the new unit of ${node} needs a certificate, and this process does not hold the PKI's root`);
      if (fleet.hes) fleet.hes.installUnit(node, credential.certDer);
      else await operator!.register(node, credential.certDer);
      await fleet.tn(node).close();
      observer?.replaced(node);
      const unit = fleet.createTn(node, credential);
      const startedAt = clock.now();
      const { enrolled } = await awaitEnrolment(
        fleet,
        clock,
        [node],
        config.bootstrapTimeoutMs,
        () => unit.start('initial'),
        enrolledSince(startedAt),
        closed.signal,
      );
      if (!enrolled.has(node))
        throw new TlsConfigError(`replace: the new unit of ${node} did not enrol within ${config.bootstrapTimeoutMs} ms`);
    },

    /** In the HES's process: the operator registered a TN's new unit from another (its certificate, DER). */
    admit(node: NodeId, certificate: unknown): void {
      checkTn(node);
      if (!(certificate instanceof Uint8Array)) throw new TlsConfigError(`admit: the certificate of ${node}'s new unit is not DER bytes`);
      hesOf().installUnit(node, certificate);
    },

    stats(): ModeStats {
      const tns = [...fleet.tns.values()];
      const sum = (of: (tn: TlsTn) => number) => tns.reduce((n, tn) => n + of(tn), 0);
      return {
        channelsUp: tns.filter((tn) => fleet.hes?.isAccepted(tn.id)).length,
        handshakes: sum((tn) => tn.stats.handshakes),
        failedHandshakes: sum((tn) => tn.stats.failedHandshakes),
        lostChannels: sum((tn) => tn.stats.lostChannels),
        refused: refusals.byReason(),
      };
    },

    close(): Promise<void> {
      closed.abort();
      closing ??= fleet.close();
      return closing;
    },
  };
}

/**
 * A replacement unit's credential as the operator handed it (Operator.issue): it must name the TN,
 * come from the run's root and hold the key of its certificate; anything else is refused, naming it.
 */
function replacementCredential(tn: NodeId, given: unknown, rootPem: string): Credential {
  const c = given as Partial<Credential> | undefined;
  const what = `replace: the credential the operator issued for ${tn}'s new unit`;
  if (typeof c?.certPem !== 'string' || typeof c.keyPem !== 'string') throw new TlsConfigError(`${what} has no certPem and keyPem`);
  return checkedCredential(tn, c.certPem, c.keyPem, new X509Certificate(rootPem), {
    cert: `${what} (certificate)`,
    key: `${what} (key)`,
    root: "the run's root",
  });
}

/** Plaintext bytes of one automation command on a channel (for reports that predict segment bytes). */
export const automationPlaintextBytes = (): number => encodeAppMessage({ type: 'automation', counter: 1, relay: 'on' }).length;
