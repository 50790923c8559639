import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import { connect, type SecureContext, type TLSSocket } from 'node:tls';
import { TnCpu, type ComputeModel, type CryptoOp } from '../compute-profile';
import { NO_OBSERVER, type ProtocolObserver } from '../oracle/goal-oracle';
import { MANUFACTURER_ID } from '../lean/manufacturer';
import { ALL_TNS } from '../protocol/frame-fields';
import { MessageClass } from '../protocol/message-class';
import type { TimerHandle } from '../../core/clock';
import type { NodeId, ReceivedFrame } from '../../core/transport';
import { AppMessageReader, encodeAppMessage, type AppMessage, type ReadMessage } from './app-message';
import { ChannelConnection } from './channel-connection';
import type { HandshakeRecord, HandshakeTracker } from './handshake-tracker';
import { renegotiateAt, type HandshakeReason, type LifetimePolicy } from './lifetime-policy';
import type { TlsTnDeps } from './node-deps';
import { peerKeyOf } from './peer-verification';
import { countRejection, decodeRefusal, tlsFailureReason, type RefusalTags } from './refusal';
import type { ReliableStreamOptions } from './reliable-stream';
import type { SegmentAirtime } from '../../core/phy';
import { decodeTlsFrame } from './tls-frame';
import { spkiDer } from './x509';

/**
 * A TN in smgw-tls mode: it opens and keeps one TLS channel to the HES through its DC, renews it
 * by the lifetime policy (a fresh connection and a full handshake each time), reconnects with
 * backoff when a channel dies, and serves the workload that arrives on it.
 */
export interface BackoffPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
}

export interface TlsTnOptions {
  readonly dc: NodeId;
  readonly hes: NodeId;
  readonly lifetime: LifetimePolicy;
  readonly handshakeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly reliable: ReliableStreamOptions;
  readonly airtime: SegmentAirtime;
  /** The TN's CPU (nodes/compute-profile.ts): public-key work (full handshakes, firmware signatures) takes its time. */
  readonly compute?: ComputeModel;
  /**
   * A planted bug: the TN skips its application counter checks (meter rounds, confidential and
   * automation counters) and accepts a HES message delivered twice or out of order. Only for
   * showing that the goal oracle reports what such a TN lets through; never set by a scenario.
   */
  readonly skipCounterChecks?: boolean;
}

/**
 * The public-key work of the TN (TLS client) in a full TLS 1.2 ECDHE-ECDSA handshake with mutual
 * authentication, in the compute profile's operations, all done between the server's first flight
 * (ServerHello .. ServerHelloDone) and the TN's second (Certificate, ClientKeyExchange,
 * CertificateVerify, Finished):
 *   verify   the HES certificate's signature by the root (the chain is root -> HES)
 *   verify   the ServerKeyExchange signature over the HES's ephemeral key
 *   encrypt  an ephemeral key pair and ECDH with the HES's ephemeral key: exactly the profile's
 *            'encrypt' (key generation + ECDH); 'decrypt' would leave out the key generation
 *   sign     CertificateVerify
 * Hashing, the PRF and AES-GCM records cost microseconds on these CPUs and are left out, as is
 * everything of an abbreviated (resumed) handshake, which has no public-key operation.
 */
export const FULL_HANDSHAKE_OPS: readonly CryptoOp[] = ['verify', 'verify', 'encrypt', 'sign'];

/** The relay a TN drives on an accepted automation command: a board, as in lean mode. */
export interface RelaySwitch {
  switchRelay(on: boolean, timing: { sentAt: number; receivedAt: number }): unknown;
}

export interface TlsTnSecurity {
  readonly context: SecureContext;
  /** Verifies firmware signatures: the manufacturer's public key (the PKI's, not its root's). */
  readonly manufacturerPublicKey: KeyObject;
}

export interface TlsTnExtras {
  readonly tracker: HandshakeTracker;
  readonly relay?: RelaySwitch;
  /** Told about every handshake this TN finishes or loses. */
  readonly onHandshake?: (record: HandshakeRecord) => void;
  /** The goal oracle: told what this TN sends and accepts (nodes/oracle/goal-oracle.ts). */
  readonly observer?: ProtocolObserver;
}

/** How long a channel past its volume limit must be silent before it is renegotiated. */
const QUIET_MS = 1_000;

export interface TlsTnStats {
  handshakes: number;
  failedHandshakes: number;
  lostChannels: number;
  rejected: number;
}

interface TnChannel {
  readonly conn: number;
  readonly connection: ChannelConnection;
  readonly socket: TLSSocket;
  readonly reason: HandshakeReason;
  readonly startedAt: number;
  readonly finish: (record: HandshakeRecord) => void;
  handshakeTimer?: TimerHandle | undefined;
  established: boolean;
  /** The handshake's outcome was recorded (it finished, died or was abandoned). */
  concluded: boolean;
  retired: boolean;
  session?: Buffer;
  /** The HES's authenticated public key (SPKI DER), once the channel is up: the key its messages count under. */
  peerKey?: Uint8Array;
}

export class TlsTn {
  readonly stats: TlsTnStats = { handshakes: 0, failedHandshakes: 0, lostChannels: 0, rejected: 0 };
  private channel: TnChannel | undefined;
  private renegotiateTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private volumeCheck = false;
  private lastDataAt = -Infinity;
  private attempts = 0;
  private lastConn = -1;
  private queue: Uint8Array[] = [];
  private lastAutomationCounter = 0;
  private lastMeterRound = 0;
  private lastConfidentialCounter = 0;
  private installedFirmware = 0;
  private readonly observer: ProtocolObserver;
  /** The manufacturer's key (SPKI DER), the key installed firmware counts under. */
  private readonly manufacturerKey: Uint8Array;
  private energyWh = 0;
  private closed = false;
  private readonly cpu: TnCpu;
  private readonly unsubscribe: () => void;
  private readonly upWaiters = new Set<() => void>();

  constructor(
    private readonly options: TlsTnOptions,
    private readonly security: TlsTnSecurity,
    private readonly extras: TlsTnExtras,
    private readonly deps: TlsTnDeps,
  ) {
    this.cpu = new TnCpu(deps.clock, options.compute);
    this.energyWh = deps.random.int(50_000);
    this.observer = extras.observer ?? NO_OBSERVER;
    this.manufacturerKey = spkiDer(security.manufacturerPublicKey);
    this.unsubscribe = deps.transport.onFrame((received) => this.onFrame(received));
  }

  get id(): NodeId {
    return this.deps.id;
  }

  /** The session of the current channel (for the one resumption measurement). */
  get session(): Buffer | undefined {
    return this.channel?.session;
  }

  /** What the current channel negotiated, once it is up. */
  channelInfo(): { protocol: string; cipher: string; curve: string; resumed: boolean } | undefined {
    const socket = this.channel?.established ? this.channel.socket : undefined;
    if (!socket) return undefined;
    return {
      protocol: socket.getProtocol() ?? '',
      cipher: socket.getCipher().name,
      curve: String((socket.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? ''),
      resumed: socket.isSessionReused(),
    };
  }

  /** Resolves when a channel is next established (at once if one is). */
  whenUp(): Promise<void> {
    if (this.channel?.established) return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.add(resolve));
  }

  /** Opens the channel (no-op when one is open or opening). */
  start(reason: HandshakeReason = 'initial'): void {
    if (this.closed || this.channel) return;
    this.cancelRetry();
    this.connect(reason);
  }

  /**
   * Closes the current channel (close_notify, FIN) and opens a new one with a full handshake.
   * `resume` offers the old channel's session instead: only the bench's one measurement of an
   * abbreviated handshake does that, the lifetime policy never does.
   */
  renegotiate(reason: HandshakeReason, resume = false): void {
    if (this.closed) return;
    const old = this.channel;
    const session = resume ? old?.session : undefined;
    if (old) {
      this.retire(old);
      old.socket.end();
    }
    this.cancelRetry();
    this.connect(reason, session);
  }

  /** The TN lost power and got it back: its channel is gone without a word, it reconnects now. */
  powerRestored(): void {
    if (this.closed) return;
    if (this.channel) this.drop(this.channel);
    this.queue = [];
    this.cpu.restart();
    this.cancelRetry();
    this.attempts = 0;
    this.connect('power-restored');
  }

  send(message: AppMessage): void {
    const bytes = encodeAppMessage(message);
    const channel = this.channel;
    if (channel?.established && channel.socket.writable) {
      this.write(channel, bytes);
      this.checkVolumeSoon();
    } else this.queue.push(bytes);
  }

  /** Hands a message to TLS; the oracle learns it as this TN's genuine content. */
  private write(channel: TnChannel, bytes: Uint8Array): void {
    this.observer.sent(this.id, bytes);
    channel.socket.write(bytes);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cpu.stop();
    this.unsubscribe();
    this.renegotiateTimer?.cancel();
    this.cancelRetry();
    if (this.channel) this.drop(this.channel);
    await this.deps.transport.close();
  }

  private nextConn(): number {
    let conn = this.deps.random.uint32();
    while (conn === this.lastConn) conn = this.deps.random.uint32();
    this.lastConn = conn;
    return conn;
  }

  private connect(reason: HandshakeReason, session?: Buffer): void {
    const { clock } = this.deps;
    this.renegotiateTimer?.cancel();
    this.renegotiateTimer = undefined;
    const conn = this.nextConn();
    const connection = new ChannelConnection(
      this.id,
      conn,
      clock,
      (bytes, trace) => this.deps.transport.send(this.options.dc, bytes, trace),
      this.options.reliable,
      this.options.airtime,
      'inbound',
    );
    const hes = this.options.hes;
    const socket = connect({
      socket: connection.stream,
      secureContext: this.security.context,
      servername: hes,
      rejectUnauthorized: true,
      ...(session ? { session } : {}),
      checkServerIdentity: (_host, cert) =>
        cert.subject?.CN === hes ? undefined : new Error(`server certificate names "${String(cert.subject?.CN)}", not ${hes}`),
    });
    const channel: TnChannel = {
      conn,
      connection,
      socket,
      reason,
      startedAt: clock.now(),
      finish: this.extras.tracker.begin(),
      established: false,
      concluded: false,
      retired: false,
    };
    this.channel = channel;
    this.modelHandshakeCompute(channel);
    channel.handshakeTimer = clock.setTimer(this.options.handshakeTimeoutMs, () => {
      channel.handshakeTimer = undefined;
      if (!channel.established && !channel.retired) socket.destroy();
    });
    const reader = new AppMessageReader(() => clock.now());
    socket.on('session', (session: Buffer) => (channel.session = session));
    socket.once('secureConnect', () => this.onEstablished(channel));
    socket.on('data', (data: Buffer) => {
      for (const read of reader.push(data)) {
        // When the HES issued it, as the frames that brought it were stamped, and the attack
        // whose frames carried it, if any (issue-stamps.ts).
        const { issuedAt, attack } = connection.inbound.message(read.start, read.end);
        if (read.result.ok) this.onMessage(channel, read.result.message, read, issuedAt, attack);
        else this.reject('bad-field', this.options.hes, { attack });
      }
      if (reader.poisoned) {
        this.reject('bad-field');
        socket.destroy();
      }
    });
    socket.on('error', (err: Error & { code?: string }) => {
      // The TLS stack refused what came in (a certificate, a signature, a record that fails its
      // MAC); a reset, a timeout or the HES's alert is not this TN's refusal.
      const reason = tlsFailureReason(err);
      if (reason) this.reject(reason, this.options.hes, { attack: connection.lastAttack });
    });
    socket.on('close', () => this.onClosed(channel));
  }

  /**
   * Holds the TN's second handshake flight for the public-key work of a full handshake on its CPU
   * (FULL_HANDSHAKE_OPS): the first bytes TLS writes after hearing from the HES are that flight.
   */
  private modelHandshakeCompute(channel: TnChannel): void {
    if (!this.options.compute) return;
    const stream = channel.connection.stream;
    stream.onWrite = () => {
      if (stream.receivedOffset === 0) return; // the ClientHello
      stream.onWrite = undefined;
      if (channel.established || channel.socket.isSessionReused()) return; // abbreviated: no public-key work
      stream.holdOutput(this.cpu.occupy(FULL_HANDSHAKE_OPS) - this.deps.clock.now());
    };
  }

  private onEstablished(channel: TnChannel): void {
    if (channel.retired) return;
    const { clock } = this.deps;
    channel.handshakeTimer?.cancel();
    channel.established = true;
    channel.connection.handshakeDone = true;
    channel.peerKey = peerKeyOf(channel.socket);
    this.attempts = 0;
    this.stats.handshakes++;
    this.conclude(channel, true);
    const at = renegotiateAt(this.options.lifetime, clock.now(), this.deps.random);
    this.renegotiateTimer = clock.setTimer(at - clock.now(), () => {
      this.renegotiateTimer = undefined;
      if (this.channel === channel) this.renegotiate('age');
    });
    const queued = this.queue;
    this.queue = [];
    for (const bytes of queued) this.write(channel, bytes);
    for (const waiter of [...this.upWaiters]) waiter();
    this.upWaiters.clear();
    this.checkVolumeSoon();
  }

  /** Records a handshake's outcome once: the `handshake` sample (kind full, resumed or failed) and the storm tracker. */
  private conclude(channel: TnChannel, ok: boolean): void {
    if (channel.concluded) return;
    channel.concluded = true;
    if (!ok) this.stats.failedHandshakes++;
    const c = channel.connection.counters;
    const full = !ok || !channel.socket.isSessionReused();
    const record: HandshakeRecord = {
      tn: this.id,
      dc: this.options.dc,
      reason: channel.reason,
      full,
      ok,
      startedAt: channel.startedAt,
      finishedAt: this.deps.clock.now(),
      bytesUp: c.bytesOut,
      bytesDown: c.bytesIn,
      cleanPhyBytes: c.cleanPhyBytes,
    };
    this.deps.metrics.emit(
      'handshake',
      { duration_ms: record.finishedAt - record.startedAt, bytes_up: record.bytesUp, bytes_down: record.bytesDown, full },
      { reason: channel.reason, kind: ok ? (full ? 'full' : 'resumed') : 'failed' },
    );
    channel.finish(record);
    this.extras.onHandshake?.(record);
  }

  /** A channel's connection closed: a current one was lost, and the TN tries again after a backoff. */
  private onClosed(channel: TnChannel): void {
    const lost = !channel.retired && !this.closed;
    this.retire(channel);
    if (!lost) return;
    if (channel.established) this.stats.lostChannels++;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const { firstMs, maxMs } = this.options.backoff;
    const base = Math.min(maxMs, firstMs * 2 ** this.attempts++);
    const delay = base * (0.5 + this.deps.random.float());
    this.retryTimer = this.deps.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
      if (!this.channel && !this.closed) this.connect('reconnect');
    });
  }

  /** Marks a channel as no longer this TN's current one, so its close does not trigger a retry. */
  private retire(channel: TnChannel): void {
    channel.retired = true;
    channel.handshakeTimer?.cancel();
    if (this.channel === channel) this.channel = undefined;
    this.conclude(channel, channel.established);
  }

  /** Retires a channel and drops it without a word on the wire (the TN lost power, or closed). */
  private drop(channel: TnChannel): void {
    this.retire(channel);
    channel.connection.stream.discard();
    channel.socket.destroy();
  }

  private cancelRetry(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  private onFrame({ frame, from, sentAt, attack }: ReceivedFrame): void {
    const decoded = decodeTlsFrame(frame);
    if (!decoded.ok) {
      const refusal = decodeRefusal(frame, decoded);
      return this.reject(refusal.reason, from, { attack, class: refusal.class });
    }
    const f = decoded.value;
    if (f.tn !== this.id) return this.reject('wrong-recipient', from, { attack });
    const channel = this.channel;
    if (!channel || channel.conn !== f.conn) {
      // A late frame of a closed connection: routine after a renegotiation, refused if an attacker's.
      if (attack) this.reject('stale-counter', from, { attack });
      return;
    }
    if (f.payload.length > 0) this.lastDataAt = this.deps.clock.now();
    const fate = channel.connection.receive(f, frame.length, attack, sentAt);
    // A duplicate is routine on a lossy link (a lost acknowledgement makes the HES resend); an
    // attacker's replayed or forged segment is a refusal of the attack.
    if (fate !== 'accepted' && attack) this.reject('stale-counter', from, { attack });
    this.checkVolumeSoon();
  }

  /**
   * Past the volume limit the channel is renegotiated at its next quiet moment (nothing received
   * for QUIET_MS, nothing unacknowledged): closing it mid-transfer would throw away what the HES
   * is still sending, since TLS discards writes that cross a close_notify.
   */
  private checkVolumeSoon(): void {
    if (this.volumeCheck) return;
    this.volumeCheck = true;
    // After the current frame is processed, not inside the stream's callbacks.
    this.deps.clock.setTimer(0, () => this.checkVolume());
  }

  private checkVolume(): void {
    const channel = this.channel;
    if (!channel?.established || channel.connection.counters.streamBytes < this.options.lifetime.maxBytes) {
      this.volumeCheck = false;
      return;
    }
    const quietFor = this.deps.clock.now() - this.lastDataAt;
    if (quietFor >= QUIET_MS && channel.connection.stream.pendingBytes === 0) {
      this.volumeCheck = false;
      this.renegotiate('volume');
      return;
    }
    this.deps.clock.setTimer(Math.max(1, QUIET_MS - quietFor), () => this.checkVolume());
  }

  /**
   * Serves one message of a channel. An accepted HES message is reported to the goal oracle as
   * lean mode reports it: the HES as sender (TLS authenticated it), this TN as recipient (the
   * channel is its own), the application counter, the exact message bytes, and the HES's
   * certificate key as the key it counts under; installed firmware under the manufacturer's
   * signature and key, as a lean TN reports a manifest.
   */
  private onMessage(
    channel: TnChannel,
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
        signerKey: channel.peerKey ?? peerKeyOf(channel.socket),
        ...(attack ? { attack } : {}),
      });
    switch (message.type) {
      case 'meter-request':
        if (!fresh(message.round, this.lastMeterRound)) return this.reject('stale-counter', hes, { attack });
        this.lastMeterRound = Math.max(this.lastMeterRound, message.round);
        accepted(MessageClass.MeterRequest, message.round);
        this.energyWh += 1 + this.deps.random.int(500);
        this.send({ type: 'meter-response', round: message.round, energyWh: this.energyWh, pulses: this.energyWh });
        return;
      case 'confidential':
        if (!fresh(message.counter, this.lastConfidentialCounter)) return this.reject('stale-counter', hes, { attack });
        this.lastConfidentialCounter = Math.max(this.lastConfidentialCounter, message.counter);
        metrics.emit('frame_accepted', { counter: message.counter, sender: hes }, { role: 'tn', class: 'confidential' });
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
        // The manufacturer's signature is checked on the TN's CPU (one ECDSA verification) before
        // the image counts, as a lean TN does.
        this.cpu.after(['verify'], () => {
          const signed = firmwareSigned(message.version, message.image);
          if (!verifySignature('sha256', signed, this.security.manufacturerPublicKey, message.signature))
            return this.reject('bad-signature', hes, { attack });
          if (message.version <= this.installedFirmware) return this.reject('firmware-rollback', hes, { attack });
          this.installedFirmware = message.version;
          metrics.emit('firmware_install', { version: message.version, duration_ms: clock.now() - firstByteAt });
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
        return;
      default:
        this.reject('unexpected-class', hes, { attack });
    }
  }

  private reject(reason: string, from: NodeId = this.options.hes, tags: RefusalTags = {}): void {
    this.stats.rejected++;
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
