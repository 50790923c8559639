import { createHash, verify as verifySignature, type KeyObject, type X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import type { NodeId } from '../../core/transport';
import { TnCpu, type ComputeModel } from '../compute-profile';
import type { MeterSource, RelayActuator } from '../mode';
import { MANUFACTURER_ID, NO_OBSERVER, type ProtocolObserver } from '../oracle/goal-oracle';
import { ALL_TNS } from '../protocol/frame-fields';
import { MessageClass } from '../protocol/message-class';
import { encodeAppMessage, type AppMessage, type ReadMessage } from './app-message';
import type { HandshakeRecord, HandshakeTracker } from './handshake-tracker';
import type { HandshakeReason } from './lifetime-policy';
import type { TlsTnDeps } from './node-deps';
import { countRejection, type RefusalTags } from './refusal';
import { TnChannel, type TnChannelOptions, type TnChannelStats } from './tn-channel';
import { spkiDer } from './x509';

/**
 * A TN in smgw-tls mode: the application on top of its TLS channel (tn-channel.ts, which opens,
 * renews and reconnects it). It answers meter requests from its meter, switches its relay on an
 * automation command, takes confidential messages and installs manufacturer-signed firmware,
 * each only with an application counter (or version) above the last it accepted.
 */
export interface TlsTnOptions extends Omit<TnChannelOptions, 'modelsCompute'> {
  /** What the TN reads in answer to a meter request: its board's meter, or a synthetic one. */
  readonly meter: MeterSource;
  /** The TN's CPU (nodes/compute-profile.ts): public-key work (full handshakes, firmware signatures) takes its time. */
  readonly compute?: ComputeModel;
  /**
   * A planted bug: the TN skips its application counter checks (meter rounds, confidential and
   * automation counters) and accepts a HES message delivered twice or out of order. Only for
   * showing that the goal oracle reports what such a TN lets through; never set by a scenario.
   */
  readonly skipCounterChecks?: boolean;
}

export interface TlsTnSecurity {
  readonly context: SecureContext;
  /** Verifies firmware signatures: the manufacturer's public key (the PKI's, not its root's). */
  readonly manufacturerPublicKey: KeyObject;
  /** The root, where the context does not trust it (chains sent without it): the TN checks the HES's certificate itself. */
  readonly root?: X509Certificate;
}

export interface TlsTnExtras {
  readonly tracker: HandshakeTracker;
  readonly relay?: RelayActuator;
  /** Told about every handshake this TN finishes or loses. */
  readonly onHandshake?: (record: HandshakeRecord) => void;
  /** The goal oracle: told what this TN sends and accepts (nodes/oracle/goal-oracle.ts). */
  readonly observer?: ProtocolObserver;
}

export interface TlsTnStats extends TnChannelStats {
  rejected: number;
}

export class TlsTn {
  private readonly channel: TnChannel;
  private readonly refusals = { rejected: 0 };
  private lastAutomationCounter = 0;
  private lastMeterRound = 0;
  private lastConfidentialCounter = 0;
  private installedFirmware = 0;
  private readonly observer: ProtocolObserver;
  /** The manufacturer's key (SPKI DER), the key installed firmware counts under. */
  private readonly manufacturerKey: Uint8Array;
  private readonly cpu: TnCpu;

  constructor(
    private readonly options: TlsTnOptions,
    private readonly security: TlsTnSecurity,
    private readonly extras: TlsTnExtras,
    private readonly deps: TlsTnDeps,
  ) {
    this.cpu = new TnCpu(deps.clock, options.compute);
    this.observer = extras.observer ?? NO_OBSERVER;
    this.manufacturerKey = spkiDer(security.manufacturerPublicKey);
    this.channel = new TnChannel(
      { ...options, modelsCompute: options.compute !== undefined, ...(security.root ? { root: security.root } : {}) },
      security.context,
      this.cpu,
      {
        tracker: extras.tracker,
        ...(extras.onHandshake ? { onHandshake: extras.onHandshake } : {}),
        onMessage: (peerKey, message, read, issuedAt, attack) => this.onMessage(peerKey, message, read, issuedAt, attack),
        onWrite: (bytes) => this.observer.sent(this.id, bytes),
        reject: (reason, from, tags) => this.reject(reason, from, tags),
      },
      deps,
    );
  }

  get id(): NodeId {
    return this.deps.id;
  }

  get stats(): Readonly<TlsTnStats> {
    return { ...this.channel.stats, ...this.refusals };
  }

  /** The session of the current channel (for the one resumption measurement), if it keeps it (keepSessions). */
  get session(): Buffer | undefined {
    return this.channel.session;
  }

  /** Whether channels opened from now on keep their session, to offer it on a renegotiation. */
  keepSessions(keep: boolean): void {
    this.channel.keepSessions = keep;
  }

  /** What the current channel negotiated, once it is up. */
  channelInfo(): ReturnType<TnChannel['channelInfo']> {
    return this.channel.channelInfo();
  }

  /** Resolves when a channel is next established (at once if one is). */
  whenUp(): Promise<void> {
    return this.channel.whenUp();
  }

  /** Opens the channel (no-op when one is open or opening). */
  start(reason: HandshakeReason = 'initial'): void {
    this.channel.start(reason);
  }

  /** Renews the channel with a full handshake (or, for the one measurement, a resumed one). */
  renegotiate(reason: HandshakeReason, resume = false): void {
    this.channel.renegotiate(reason, resume);
  }

  /** The TN lost power and got it back: its CPU's work and its channel are gone, it reconnects now. */
  powerRestored(): void {
    this.cpu.restart();
    this.channel.powerRestored();
  }

  send(message: AppMessage): void {
    this.channel.send(encodeAppMessage(message));
  }

  async close(): Promise<void> {
    this.cpu.stop();
    await this.channel.close();
  }

  /**
   * Serves one message of a channel. An accepted HES message is reported to the goal oracle as
   * lean mode reports it: the HES as sender (TLS authenticated it), this TN as recipient (the
   * channel is its own), the application counter, the exact message bytes, and the HES's
   * certificate key as the key it counts under; installed firmware under the manufacturer's
   * signature and key, as a lean TN reports a manifest.
   */
  private onMessage(
    peerKey: Uint8Array,
    message: AppMessage,
    read: ReadMessage,
    issuedAt: number | undefined,
    attack: string | undefined,
  ): void {
    const { clock, metrics } = this.deps;
    const { firstByteAt } = read;
    const hes = this.options.hes;
    const fresh = (counter: number, last: number): boolean => this.options.skipCounterChecks === true || counter > last;
    const accepted = (cls: MessageClass, counter: number): void =>
      this.observer.accepted({
        node: this.id,
        cls,
        sender: hes,
        recipient: this.id,
        counter,
        signed: read.bytes,
        signerKey: peerKey,
        ...(attack ? { attack } : {}),
      });
    switch (message.type) {
      case 'meter-request':
        if (!fresh(message.round, this.lastMeterRound)) return this.reject('stale-counter', hes, { attack });
        this.lastMeterRound = Math.max(this.lastMeterRound, message.round);
        accepted(MessageClass.MeterRequest, message.round);
        this.send({ type: 'meter-response', round: message.round, registers: this.options.meter.registers() });
        return;
      case 'confidential':
        if (!fresh(message.counter, this.lastConfidentialCounter)) return this.reject('stale-counter', hes, { attack });
        this.lastConfidentialCounter = Math.max(this.lastConfidentialCounter, message.counter);
        metrics.emit('frame_accepted', { count: 1, counter: message.counter, sender: hes }, { role: 'tn', class: 'confidential' });
        accepted(MessageClass.Confidential, message.counter);
        return;
      case 'automation': {
        if (!fresh(message.counter, this.lastAutomationCounter)) return this.reject('stale-counter', hes, { attack });
        this.lastAutomationCounter = Math.max(this.lastAutomationCounter, message.counter);
        const now = clock.now();
        const sentAt = issuedAt ?? firstByteAt;
        this.extras.relay?.switchRelay(message.relay === 'on', { sentAt, receivedAt: firstByteAt });
        metrics.emit('automation_latency', { latency_ms: now - sentAt, counter: message.counter });
        accepted(MessageClass.Automation, message.counter);
        return;
      }
      case 'firmware':
        this.onFirmware(message, firstByteAt, attack);
        return;
      default:
        this.reject('unexpected-class', hes, { attack });
    }
  }

  /**
   * The manufacturer's signature is checked on the TN's CPU (one ECDSA verification) before the
   * image counts, as a lean TN does; the TN tells the HES once it is installed.
   */
  private onFirmware(message: Extract<AppMessage, { type: 'firmware' }>, firstByteAt: number, attack: string | undefined): void {
    const hes = this.options.hes;
    this.cpu.after(['verify'], () => {
      const signed = firmwareSigned(message.version, message.image);
      if (!verifySignature('sha256', signed, this.security.manufacturerPublicKey, message.signature))
        return this.reject('bad-signature', hes, { attack });
      if (message.version <= this.installedFirmware) return this.reject('firmware-rollback', hes, { attack });
      this.installedFirmware = message.version;
      this.deps.metrics.emit('firmware_install', { version: message.version, duration_ms: this.deps.clock.now() - firstByteAt });
      this.observer.accepted({
        node: this.id,
        cls: MessageClass.FirmwareManifest,
        sender: MANUFACTURER_ID,
        recipient: ALL_TNS,
        counter: message.version,
        signed,
        signerKey: this.manufacturerKey,
        ...(attack ? { attack } : {}),
      });
      this.send({ type: 'firmware-installed', version: message.version });
    });
  }

  private reject(reason: string, from: NodeId = this.options.hes, tags: RefusalTags = {}): void {
    this.refusals.rejected++;
    countRejection(this.deps.metrics, 'tn', reason, from, tags);
  }
}

/**
 * The bytes the manufacturer signs for an image, and a TN checks: a label and the version (so no
 * signature passes for another version), then the image's SHA-256 digest.
 */
export function firmwareSigned(version: number, image: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 12);
  header.write('gridbench-fw', 0, 'latin1');
  header.writeUInt32BE(version, 12);
  return Buffer.concat([header, createHash('sha256').update(image).digest()]);
}
