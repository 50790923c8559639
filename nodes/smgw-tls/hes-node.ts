import { X509Certificate } from 'node:crypto';
import { TLSSocket, type SecureContext } from 'node:tls';
import { NO_OBSERVER, type ProtocolObserver } from '../oracle/goal-oracle';
import { MessageClass } from '../protocol/message-class';
import type { NodeId, ReceivedFrame } from '../../core/transport';
import { AppMessageReader, encodeAppMessage, type AppMessage, type ReadMessage } from './app-message';
import { ChannelConnection } from './channel-connection';
import type { TlsNodeDeps } from './node-deps';
import { certificateKey, peerKeyOf, verifyClientCertificate } from './peer-verification';
import { countRejection, decodeRefusal, tlsFailureReason } from './refusal';
import type { ReliableStreamOptions } from './reliable-stream';
import { NO_AIRTIME } from '../../core/phy';
import { decodeTlsFrame, encodeTlsFrame, FLAG, type TlsFrame } from './tls-frame';

/**
 * The HES in smgw-tls mode: it terminates every TN's TLS channel. A channel is bound to the TN
 * address its frames carry; the TN must prove that identity with its client certificate, checked
 * on "secure" (see peer-verification.ts), or the channel is refused, counted and reset. Messages
 * for a TN whose channel is down wait in a bounded queue until the TN reconnects: the HES cannot
 * call a TN, the TN always opens the channel. As a lean HES, it accepts one meter response per TN
 * per meter request it sent (REMEMBERED_ROUNDS per TN).
 */
export interface TlsHesOptions {
  /** TN id to the DC that routes for it. */
  readonly dcOf: (tn: NodeId) => NodeId | undefined;
  readonly reliable: ReliableStreamOptions;
  /** Messages kept per TN while its channel is down; the oldest go first beyond it. */
  readonly maxQueuedMessages: number;
  /** The goal oracle: told what the HES sends and which meter responses it accepts (nodes/oracle/goal-oracle.ts). */
  readonly observer?: ProtocolObserver;
}

export interface TlsHesSecurity {
  readonly context: SecureContext;
  /** The context for TNs allowed to resume (allowResumption): it issues and accepts session tickets. */
  readonly resumptionContext: SecureContext;
  readonly rootPem: string;
  /** The contexts trust the root (chains sent with it): OpenSSL's verdict on a TN's certificate counts too. */
  readonly rootInStore: boolean;
  /** Time certificates are checked against. OpenSSL reads the host's clock; so does this by default. */
  readonly certificateTime?: () => Date;
}

export type HesMessageListener = (tn: NodeId, message: AppMessage, firstByteAt: number) => void;

export interface TlsHesStats {
  opened: number;
  accepted: number;
  refused: Record<string, number>;
  staleFrames: number;
  droppedMessages: number;
}

interface HesChannel {
  readonly tn: NodeId;
  readonly conn: number;
  readonly connection: ChannelConnection;
  readonly socket: TLSSocket;
  accepted: boolean;
  /** The TN's authenticated public key (SPKI DER), once its certificate passed: the key its responses count under. */
  peerKey?: Uint8Array;
}

interface TnState {
  readonly dc: NodeId;
  channel?: HesChannel | undefined;
  /**
   * A newer connection of the TN that has not authenticated yet: the established channel stays
   * until it does, so an unauthenticated open (a forged frame) cannot cut the TN off.
   */
  pending?: HesChannel | undefined;
  /** Connections of this TN that ended; their late frames are ignored, not taken for new ones. */
  readonly ended: number[];
  /** Messages waiting for the channel, with when they were issued (issue-stamps.ts). */
  queue: Array<{ readonly bytes: Uint8Array; readonly issuedAt: number }>;
  /** Meter rounds requested of this TN: open until its one response is accepted. */
  readonly rounds: Map<number, 'open' | 'answered'>;
}

const REMEMBERED_CONNECTIONS = 8;
/** Meter rounds remembered per TN (the oldest are forgotten: a response to one is refused). */
const REMEMBERED_ROUNDS = 16;

export class TlsHes {
  readonly stats: TlsHesStats = { opened: 0, accepted: 0, refused: {}, staleFrames: 0, droppedMessages: 0 };
  private readonly tns = new Map<NodeId, TnState>();
  private readonly listeners = new Set<HesMessageListener>();
  private readonly acceptListeners = new Set<(tn: NodeId) => void>();
  private readonly root: X509Certificate;
  private readonly resuming = new Set<NodeId>();
  /** The certificate (DER) of each replaced TN's current unit: the only one accepted for that TN. */
  private readonly units = new Map<NodeId, Uint8Array>();
  private readonly unsubscribe: () => void;
  private readonly observer: ProtocolObserver;

  constructor(
    private readonly options: TlsHesOptions,
    private readonly security: TlsHesSecurity,
    private readonly deps: TlsNodeDeps,
  ) {
    this.root = new X509Certificate(security.rootPem);
    this.observer = options.observer ?? NO_OBSERVER;
    this.unsubscribe = deps.transport.onFrame((received) => this.onFrame(received));
  }

  onMessage(listener: HesMessageListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called each time a TN's channel passes the certificate check. */
  onAccepted(listener: (tn: NodeId) => void): () => void {
    this.acceptListeners.add(listener);
    return () => this.acceptListeners.delete(listener);
  }

  /** Lets a TN's next channels issue and accept session tickets (the resumption measurement only). */
  allowResumption(tn: NodeId, allowed: boolean): void {
    if (allowed) this.resuming.add(tn);
    else this.resuming.delete(tn);
  }

  /**
   * A new unit replaced a TN (registered out of band, as a lean HES's allow-list entry is): from
   * now on only its certificate is accepted for that TN, and the old unit's channel ends.
   */
  installUnit(tn: NodeId, certDer: Uint8Array): void {
    this.units.set(tn, certDer);
    const state = this.state(tn);
    if (state?.pending) this.retire(state, state.pending, true);
    if (state?.channel) this.retire(state, state.channel, true);
  }

  isAccepted(tn: NodeId): boolean {
    return this.tns.get(tn)?.channel?.accepted ?? false;
  }

  /** Sends on the TN's channel, or queues until it is up. Returns the bytes handed to TLS. */
  send(tn: NodeId, message: AppMessage): number {
    const state = this.state(tn);
    if (!state) return 0;
    const bytes = encodeAppMessage(message);
    const issuedAt = this.deps.clock.now();
    if (message.type === 'meter-request') {
      state.rounds.set(message.round, 'open');
      for (const round of state.rounds.keys()) {
        if (state.rounds.size <= REMEMBERED_ROUNDS) break;
        state.rounds.delete(round);
      }
    }
    const channel = state.channel;
    // while a newer connection authenticates, messages wait for it (the TN may have restarted)
    if (channel?.accepted && channel.socket.writable && !state.pending) this.write(channel, bytes, issuedAt, tn);
    else {
      state.queue.push({ bytes, issuedAt });
      if (state.queue.length > this.options.maxQueuedMessages) {
        state.queue.shift();
        this.stats.droppedMessages++;
      }
    }
    return bytes.length;
  }

  /**
   * Hands a message to TLS, telling the channel's stamps when it was issued; the oracle learns it
   * as the HES's genuine content for `tn` (the content names no recipient: the channel does).
   */
  private write(channel: HesChannel, bytes: Uint8Array, issuedAt: number, tn: NodeId): void {
    this.observer.sent(this.deps.id, bytes, tn);
    channel.connection.outbound?.written(bytes.length, issuedAt);
    channel.socket.write(bytes);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    for (const state of this.tns.values()) for (const c of [state.channel, state.pending]) c?.connection.stream.discard();
    for (const state of this.tns.values()) for (const c of [state.channel, state.pending]) c?.socket.destroy();
    await this.deps.transport.close();
  }

  private state(tn: NodeId): TnState | undefined {
    let state = this.tns.get(tn);
    if (!state) {
      const dc = this.options.dcOf(tn);
      if (!dc) return undefined;
      state = { dc, ended: [], queue: [], rounds: new Map() };
      this.tns.set(tn, state);
    }
    return state;
  }

  private onFrame({ frame, from, attack }: ReceivedFrame): void {
    const decoded = decodeTlsFrame(frame);
    if (!decoded.ok) {
      const refusal = decodeRefusal(frame, decoded);
      return this.reject(refusal.reason, from, undefined, attack, refusal.class);
    }
    const f = decoded.value;
    const state = this.state(f.tn);
    if (!state) return this.reject('unknown-sender', from, undefined, attack); // no tag: the id is the sender's choice
    if (state.dc !== from) return this.reject('wrong-sender', from, f.tn, attack);
    const channel = state.pending?.conn === f.conn ? state.pending : state.channel;
    if (channel && channel.conn === f.conn) {
      // A duplicate or out-of-window segment is routine on a lossy link (a lost acknowledgement
      // makes the TN resend); an attacker's replayed or forged one is a refusal of the attack.
      const fate = channel.connection.receive(f, frame.length, attack);
      if (fate !== 'accepted' && attack) this.reject('stale-counter', from, f.tn, attack);
      return;
    }
    if (state.ended.includes(f.conn) || f.flags & FLAG.rst) {
      // Late frames of an ended connection: routine after a renegotiation, refused if an attacker's.
      this.stats.staleFrames++;
      if (attack) this.reject('stale-counter', from, f.tn, attack);
      return;
    }
    if (f.seq === 0 && f.payload.length > 0) {
      this.open(f.tn, state, f).connection.receive(f, frame.length, attack);
      return;
    }
    // A connection the HES does not know (it restarted, or the opening segment was lost): reset it.
    this.stats.staleFrames++;
    if (attack) this.reject('stale-counter', from, f.tn, attack);
    this.deps.transport.send(
      state.dc,
      encodeTlsFrame({ tn: f.tn, conn: f.conn, flags: FLAG.rst, seq: 0, ack: 0, payload: new Uint8Array(0) }),
    );
  }

  private open(tn: NodeId, state: TnState, first: TlsFrame): HesChannel {
    if (state.pending) this.retire(state, state.pending, true);
    // an established channel stays until the new connection authenticates (onSecure)
    const keep = state.channel?.accepted ? state.channel : undefined;
    if (state.channel && !keep) this.retire(state, state.channel, true);
    const connection = new ChannelConnection(
      tn,
      first.conn,
      this.deps.clock,
      (bytes, trace, departed) => this.deps.transport.send(state.dc, bytes, trace, departed),
      this.options.reliable,
      NO_AIRTIME,
      'outbound',
    );
    const socket = new TLSSocket(connection.stream, {
      isServer: true,
      secureContext: this.resuming.has(tn) ? this.security.resumptionContext : this.security.context,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const channel: HesChannel = { tn, conn: first.conn, connection, socket, accepted: false };
    if (keep) state.pending = channel;
    else state.channel = channel;
    this.stats.opened++;
    const reader = new AppMessageReader(() => this.deps.clock.now());
    socket.on('secure', () => this.onSecure(tn, state, channel));
    socket.on('data', (data: Buffer) => {
      if (!channel.accepted) return;
      for (const read of reader.push(data)) {
        // the attack whose frames carried the message, if any (issue-stamps.ts)
        const { attack } = connection.inbound.message(read.start, read.end);
        if (!read.result.ok) this.reject('bad-field', state.dc, tn, attack);
        else if (this.accept(tn, state, channel, read.result.message, read, attack))
          for (const listener of this.listeners) listener(tn, read.result.message, read.firstByteAt);
      }
      if (reader.poisoned) {
        this.reject('bad-field', state.dc, tn);
        socket.destroy();
      }
    });
    // The same trap as the certificate check: a server TLSSocket without a tls.Server never
    // "releases control", so node swallows its TLS errors (bad record MAC, garbage, alerts) and
    // the socket lingers half dead. Node reports them on this internal event; tls.Server would
    // have destroyed the socket. An alert from the TN is the TN's refusal (counted there).
    socket.on('_tlsError', (err: Error & { code?: string }) => {
      const reason = tlsFailureReason(err);
      if (reason) this.reject(reason, state.dc, tn, connection.lastAttack);
      socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.retire(state, channel, false));
    return channel;
  }

  /**
   * Whether the HES takes a message from a TN's channel. A meter response must answer a round the
   * HES requested of that TN and not yet had answered; the oracle hears of each one taken, with
   * the TN as sender (its certificate named it) and its certificate key as the key it counts under.
   */
  private accept(
    tn: NodeId,
    state: TnState,
    channel: HesChannel,
    message: AppMessage,
    read: ReadMessage,
    attack: string | undefined,
  ): boolean {
    if (message.type !== 'meter-response') return true;
    const round = state.rounds.get(message.round);
    if (round !== 'open') {
      this.reject(round === 'answered' ? 'duplicate-response' : 'no-outstanding-request', state.dc, tn, attack);
      return false;
    }
    state.rounds.set(message.round, 'answered');
    this.observer.accepted({
      node: this.deps.id,
      cls: MessageClass.MeterResponse,
      sender: tn,
      recipient: this.deps.id,
      counter: message.round,
      signed: read.bytes,
      signerKey: channel.peerKey ?? peerKeyOf(channel.socket),
      ...(attack ? { attack } : {}),
    });
    return true;
  }

  private onSecure(tn: NodeId, state: TnState, channel: HesChannel): void {
    const now = this.security.certificateTime?.() ?? new Date();
    const cert = channel.socket.getPeerX509Certificate();
    const verdict = verifyClientCertificate(channel.socket, cert, tn, this.root, now, this.units.get(tn), this.security.rootInStore);
    if (!verdict.ok) {
      this.stats.refused[verdict.reason] = (this.stats.refused[verdict.reason] ?? 0) + 1;
      this.reject(verdict.reason, state.dc, tn, channel.connection.lastAttack);
      channel.socket.destroy();
      return;
    }
    if (state.pending === channel) {
      const established = state.channel;
      state.pending = undefined;
      state.channel = channel;
      if (established) this.retire(state, established, true);
    }
    channel.accepted = true;
    channel.connection.handshakeDone = true;
    channel.peerKey = certificateKey(cert);
    this.stats.accepted++;
    const queued = state.queue;
    state.queue = [];
    for (const { bytes, issuedAt } of queued) this.write(channel, bytes, issuedAt, tn);
    for (const listener of this.acceptListeners) listener(tn);
  }

  private retire(state: TnState, channel: HesChannel, replaced: boolean): void {
    if (state.channel === channel) state.channel = undefined;
    if (state.pending === channel) {
      // a newer connection that never authenticated: the established channel carries on
      state.pending = undefined;
      const established = state.channel;
      if (established?.accepted && established.socket.writable) {
        const queued = state.queue;
        state.queue = [];
        for (const { bytes, issuedAt } of queued) this.write(established, bytes, issuedAt, established.tn);
      }
    }
    if (!state.ended.includes(channel.conn)) {
      state.ended.push(channel.conn);
      if (state.ended.length > REMEMBERED_CONNECTIONS) state.ended.shift();
    }
    if (replaced) {
      channel.connection.stream.discard();
      channel.socket.destroy();
    }
  }

  private reject(reason: string, from: NodeId, tn?: NodeId, attack?: string, cls?: string): void {
    countRejection(this.deps.metrics, 'hes', reason, from, { ...(tn ? { tn } : {}), attack, ...(cls ? { class: cls } : {}) });
  }
}
