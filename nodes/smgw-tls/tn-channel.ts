import type { X509Certificate } from 'node:crypto';
import { connect, type SecureContext, type TLSSocket } from 'node:tls';
import type { TimerHandle } from '../../core/clock';
import type { SegmentAirtime } from '../../core/phy';
import type { NodeId, ReceivedFrame } from '../../core/transport';
import type { CryptoOp, TnCpu } from '../compute-profile';
import { AppMessageReader, type AppMessage, type ReadMessage } from './app-message';
import { ChannelConnection } from './channel-connection';
import type { HandshakeRecord, HandshakeTracker } from './handshake-tracker';
import { renegotiateAt, type HandshakeReason, type LifetimePolicy } from './lifetime-policy';
import type { TlsTnDeps } from './node-deps';
import { certificateKey, peerKeyOf, verifyServerCertificate } from './peer-verification';
import { decodeRefusal, tlsFailureReason, type RefusalTags } from './refusal';
import type { ReliableStreamOptions } from './reliable-stream';
import { decodeTlsFrame } from './tls-frame';

/**
 * The channel lifecycle of a TN in smgw-tls mode: it opens and keeps one TLS channel to the HES
 * through its DC, renews it by the lifetime policy (a fresh connection and a full handshake each
 * time), abandons a handshake that takes too long, and reconnects with backoff when a channel
 * dies. What arrives on the channel goes to the TN's application (tn-node.ts).
 */
export interface BackoffPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
}

export interface TnChannelOptions {
  readonly dc: NodeId;
  readonly hes: NodeId;
  readonly lifetime: LifetimePolicy;
  readonly handshakeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly reliable: ReliableStreamOptions;
  readonly airtime: SegmentAirtime;
  /** The TN's CPU models its public-key work (FULL_HANDSHAKE_OPS) when it has a compute model. */
  readonly modelsCompute: boolean;
  /** The root, where the context does not trust it: the HES's certificate is checked against it here (peer-verification.ts). */
  readonly root?: X509Certificate;
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

/** What the channel hands the TN's application, and asks of it. */
export interface TnChannelEvents {
  readonly tracker: HandshakeTracker;
  /** Told about every handshake this TN finishes or loses. */
  readonly onHandshake?: (record: HandshakeRecord) => void;
  /** A message read from the channel, with the HES's issue time and the attack that carried it, if any. */
  readonly onMessage: (peerKey: Uint8Array, message: AppMessage, read: ReadMessage, issuedAt?: number, attack?: string) => void;
  /** Bytes handed to TLS (the oracle learns them as the TN's genuine content). */
  readonly onWrite: (bytes: Uint8Array) => void;
  readonly reject: (reason: string, from?: NodeId, tags?: RefusalTags) => void;
}

/** How long a channel past its volume limit must be silent before it is renegotiated. */
const QUIET_MS = 1_000;

export interface TnChannelStats {
  handshakes: number;
  failedHandshakes: number;
  lostChannels: number;
}

interface OpenChannel {
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

export class TnChannel {
  readonly stats: TnChannelStats = { handshakes: 0, failedHandshakes: 0, lostChannels: 0 };
  private channel: OpenChannel | undefined;
  private renegotiateTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private volumeCheck = false;
  private lastDataAt = -Infinity;
  private attempts = 0;
  private lastConn = -1;
  private queue: Uint8Array[] = [];
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly upWaiters = new Set<() => void>();
  /**
   * Channels opened from now on keep their session, to offer it on a renegotiation. Off by default:
   * only the one measurement of an abbreviated handshake resumes, and node serializes a session
   * (about 640 bytes, the HES's certificate included) for every handshake that listens for it.
   */
  keepSessions = false;

  constructor(
    private readonly options: TnChannelOptions,
    private readonly context: SecureContext,
    private readonly cpu: TnCpu,
    private readonly events: TnChannelEvents,
    private readonly deps: TlsTnDeps,
  ) {
    this.unsubscribe = deps.transport.onFrame((received) => this.onFrame(received));
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
    this.cancelRetry();
    this.attempts = 0;
    this.connect('power-restored');
  }

  /** Sends on the channel, or keeps the bytes until it is up. */
  send(bytes: Uint8Array): void {
    const channel = this.channel;
    if (channel?.established && channel.socket.writable) {
      this.write(channel, bytes);
      this.checkVolumeSoon();
    } else this.queue.push(bytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.renegotiateTimer?.cancel();
    this.cancelRetry();
    if (this.channel) this.drop(this.channel);
    await this.deps.transport.close();
  }

  private write(channel: OpenChannel, bytes: Uint8Array): void {
    this.events.onWrite(bytes);
    channel.socket.write(bytes);
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
      this.deps.id,
      conn,
      clock,
      (bytes, trace, departed) => this.deps.transport.send(this.options.dc, bytes, trace, departed),
      this.options.reliable,
      this.options.airtime,
      'inbound',
    );
    const hes = this.options.hes;
    const socket = connect({
      socket: connection.stream,
      secureContext: this.context,
      servername: hes,
      rejectUnauthorized: this.options.root === undefined,
      ...(session ? { session } : {}),
      checkServerIdentity: (_host, cert) =>
        cert.subject?.CN === hes ? undefined : new Error(`server certificate names "${String(cert.subject?.CN)}", not ${hes}`),
    });
    const channel: OpenChannel = {
      conn,
      connection,
      socket,
      reason,
      startedAt: clock.now(),
      finish: this.events.tracker.begin(),
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
    if (this.keepSessions) socket.on('session', (session: Buffer) => (channel.session = session));
    socket.once('secureConnect', () => this.onEstablished(channel));
    socket.on('data', (data: Buffer) => {
      for (const read of reader.push(data)) {
        // When the HES issued it, as the frames that brought it were stamped, and the attack
        // whose frames carried it, if any (issue-stamps.ts).
        const { issuedAt, attack } = connection.inbound.message(read.start, read.end);
        if (read.result.ok)
          this.events.onMessage(channel.peerKey ?? peerKeyOf(channel.socket), read.result.message, read, issuedAt, attack);
        else this.events.reject('bad-field', hes, { attack });
      }
      if (reader.poisoned) {
        this.events.reject('bad-field');
        socket.destroy();
      }
    });
    socket.on('error', (err: Error & { code?: string }) => {
      // The TLS stack refused what came in (a certificate, a signature, a record that fails its
      // MAC); a reset, a timeout or the HES's alert is not this TN's refusal.
      const reason = tlsFailureReason(err);
      if (reason) this.events.reject(reason, hes, { attack: connection.lastAttack });
    });
    socket.on('close', () => this.onClosed(channel));
  }

  /**
   * Holds the TN's second handshake flight for the public-key work of a full handshake on its CPU
   * (FULL_HANDSHAKE_OPS): the first bytes TLS writes after hearing from the HES are that flight.
   */
  private modelHandshakeCompute(channel: OpenChannel): void {
    if (!this.options.modelsCompute) return;
    const stream = channel.connection.stream;
    stream.onWrite = () => {
      if (stream.receivedOffset === 0) return; // the ClientHello
      stream.onWrite = undefined;
      if (channel.established || channel.socket.isSessionReused()) return; // abbreviated: no public-key work
      stream.holdOutput(this.cpu.occupy(FULL_HANDSHAKE_OPS) - this.deps.clock.now());
    };
  }

  private onEstablished(channel: OpenChannel): void {
    if (channel.retired) return;
    const { root, hes } = this.options;
    const cert = channel.socket.getPeerX509Certificate(); // once: node takes it out of the peer's chain (peer-verification.ts)
    const verdict = root && !channel.socket.isSessionReused() && verifyServerCertificate(cert, hes, root, new Date());
    if (verdict && !verdict.ok) {
      this.events.reject('untrusted-certificate', hes, { attack: channel.connection.lastAttack });
      return void channel.socket.destroy();
    }
    const { clock } = this.deps;
    channel.handshakeTimer?.cancel();
    channel.established = true;
    channel.connection.handshakeDone = true;
    channel.peerKey = certificateKey(cert);
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
  private conclude(channel: OpenChannel, ok: boolean): void {
    if (channel.concluded) return;
    channel.concluded = true;
    if (!ok) this.stats.failedHandshakes++;
    const c = channel.connection.counters;
    const full = !ok || !channel.socket.isSessionReused();
    const record: HandshakeRecord = {
      tn: this.deps.id,
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
    this.events.onHandshake?.(record);
  }

  /** A channel's connection closed: a current one was lost, and the TN tries again after a backoff. */
  private onClosed(channel: OpenChannel): void {
    const lost = !channel.retired && !this.closed;
    this.retire(channel);
    if (!lost) return;
    if (channel.established) this.stats.lostChannels++;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const { firstMs, maxMs } = this.options.backoff;
    const base = Math.min(maxMs, firstMs * 2 ** this.attempts++);
    const delay = this.deps.random.jittered(base);
    this.retryTimer = this.deps.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
      if (!this.channel && !this.closed) this.connect('reconnect');
    });
  }

  /** Marks a channel as no longer this TN's current one, so its close does not trigger a retry. */
  private retire(channel: OpenChannel): void {
    channel.retired = true;
    channel.handshakeTimer?.cancel();
    if (this.channel === channel) this.channel = undefined;
    this.conclude(channel, channel.established);
  }

  /** Retires a channel and drops it without a word on the wire (the TN lost power, or closed). */
  private drop(channel: OpenChannel): void {
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
      return this.events.reject(refusal.reason, from, { attack, class: refusal.class });
    }
    const f = decoded.value;
    if (f.tn !== this.deps.id) return this.events.reject('wrong-recipient', from, { attack });
    const channel = this.channel;
    if (!channel || channel.conn !== f.conn) {
      // A late frame of a closed connection: routine after a renegotiation, refused if an attacker's.
      if (attack) this.events.reject('stale-counter', from, { attack });
      return;
    }
    if (f.payload.length > 0) this.lastDataAt = this.deps.clock.now();
    const fate = channel.connection.receive(f, frame.length, attack, sentAt);
    // A duplicate is routine on a lossy link (a lost acknowledgement makes the HES resend); an
    // attacker's replayed or forged segment is a refusal of the attack.
    if (fate !== 'accepted' && attack) this.events.reject('stale-counter', from, { attack });
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
}
