/**
 * The head-end system in lean mode: registers DCs and TNs against its allow-list, multicasts
 * signed meter requests, accepts one signed-then-encrypted response per TN per request, sends
 * signed-then-encrypted confidential messages, and distributes manufacturer-signed firmware.
 */
import { equalBytes, fromHex, toHex } from '../../core/bytes';
import { CertRole, decodeCertificate, issueCertificate, type Certificate } from '../protocol/certificate';
import { encodeDcEnrolment, type DcCsr, type TnKey } from '../protocol/enrolment-frames';
import type { Frame } from '../protocol/frame';
import { ALL_TNS } from '../protocol/frame-fields';
import { confidentialBody, decodeMeterReading, sealedHeader, type MeterReading, type MeterResponse } from '../protocol/operational-frames';
import { MESSAGE_CLASS_NAMES, MessageClass } from '../protocol/message-class';
import { reject, type Rejection } from '../protocol/rejection';
import type { TimerHandle } from '../../core/clock';
import type { NodeId, ReceivedFrame } from '../../core/transport';
import { getJson, putJson, type NodeStore } from '../store/node-store';
import type { AllowList } from './allow-list';
import { NO_OBSERVER } from '../oracle/goal-oracle';
import { keyFingerprint, loadOrCreateIdentity, type Identity } from './identity';
import { signFrame, signThenSeal } from './frame-builders';
import { openInbox, type Inbox } from './inbox';
import { signFirmware, type Manufacturer, type SignedFirmware } from './manufacturer';
import type { LeanNodeDeps } from './node-deps';
import type { MeterRegisters, MeterRoundReport } from '../mode';

export interface HesOptions {
  readonly allowList: AllowList;
  /** The DCs on the HES's WAN links: multicast goes to each of them. */
  readonly dcs: readonly NodeId[];
  /**
   * While a meter round still misses answers, the same signed request is multicast again (a
   * broadcast on the PLC is not acknowledged, so a TN may simply not have heard it): first after
   * this long, then after twice the wait before, as a TN's registrations back off (docs/DESIGN.md
   * 2.1). Every TN that already answered takes in each copy and refuses it as stale, and a TN whose
   * answer was lost refuses them all, so a round that misses one answer to its timeout cost a
   * copy per TN every 10 s: 180 copies per TN in a 30-minute round (issue 13). Default 10 s.
   */
  readonly meterRetryMs?: number;
}

interface RegisteredTn {
  dc: NodeId;
  signKey: string;
  encKey: string;
}

interface Round {
  readonly counter: number;
  readonly startedAt: number;
  readonly expected: Set<NodeId>;
  readonly answered: Set<NodeId>;
  readonly readings: Map<NodeId, MeterRegisters>;
  readonly finish: () => void;
  open: boolean;
  retries: number;
}

/** Store record prefix of a registered TN (one record each, so registering is O(1) on disk). */
const TN_RECORD = 'tn-';
const DEFAULT_METER_RETRY_MS = 10_000;
/** Confidential messages kept per TN while it has no current registration; the oldest go first beyond it. */
const MAX_WAITING_MESSAGES = 16;

/** Generates (or loads) the HES's keys and has the manufacturer certify them: done once, offline. */
export function provisionHes(store: NodeStore, deps: Pick<LeanNodeDeps, 'crypto' | 'id'>, manufacturer: Manufacturer): Certificate {
  const identity = loadOrCreateIdentity(store, deps.crypto);
  const existing = store.get('certificate');
  if (existing) {
    const decoded = decodeCertificate(existing);
    if (decoded.ok && equalBytes(decoded.value.signKey, identity.sign.publicKey)) return decoded.value;
  }
  const cert = manufacturer.certifyHes(deps.id, identity.sign.publicKey, identity.enc.publicKey);
  store.put('certificate', cert.bytes);
  return cert;
}

export class Hes {
  readonly identity: Identity;
  readonly certificate: Certificate;
  /** Last accepted reading per TN. */
  readonly readings = new Map<NodeId, MeterReading>();
  private readonly tns = new Map<NodeId, RegisteredTn>();
  /** Confidential payloads for TNs whose current unit has not registered yet, sent when it does. */
  private readonly waiting = new Map<NodeId, Uint8Array[]>();
  private readonly rounds = new Map<number, Round>();
  private counter: number;
  /** The latest firmware version rolled out: what a newly enrolled TN must not go below. */
  private firmwareFloor: number;
  private readonly inbox: Inbox;
  private readonly timers = new Set<TimerHandle>();
  private readonly observer;

  private constructor(
    private readonly deps: LeanNodeDeps,
    private readonly options: HesOptions,
  ) {
    this.observer = deps.observer ?? NO_OBSERVER;
    this.identity = deps.identity;
    const certBytes = deps.store.get('certificate');
    const cert = certBytes && decodeCertificate(certBytes);
    if (!cert || !cert.ok) throw new Error(`HES ${deps.id}: no manufacturer certificate in its store; run provisionHes first`);
    this.certificate = cert.value;
    this.observer.issued(cert.value.bytes);
    this.counter = getJson<{ value: number }>(deps.store, 'counter')?.value ?? 0;
    this.firmwareFloor = getJson<{ version: number }>(deps.store, 'firmware-floor')?.version ?? 0;
    for (const record of deps.store.list(TN_RECORD)) {
      const registration = getJson<RegisteredTn>(deps.store, record);
      if (registration) this.tns.set(record.slice(TN_RECORD.length), registration);
    }
    this.inbox = openInbox('hes', deps.transport, deps.metrics, (frame, rx) => this.handle(frame, rx));
  }

  static create(deps: LeanNodeDeps, options: HesOptions): Hes {
    return new Hes(deps, options);
  }

  /** Multicasts a signed meter request; resolves when every registered TN answered or on timeout. */
  meterRound(timeoutMs: number): Promise<MeterRoundReport> {
    const counter = this.nextCounter();
    const { frame, signed } = signFrame(
      { cls: MessageClass.MeterRequest, hes: this.deps.id, group: ALL_TNS, counter, request: 0 },
      this.identity.sign.secretKey,
      this.deps.crypto,
    );
    this.observer.sent(this.deps.id, signed);
    return new Promise((resolve) => {
      const startedAt = this.deps.clock.now();
      let timer: TimerHandle | undefined;
      const round: Round = {
        counter,
        startedAt,
        expected: new Set(this.tns.keys()),
        answered: new Set(),
        readings: new Map(),
        open: true,
        retries: 0,
        finish: () => {
          if (!round.open) return;
          round.open = false;
          // a response to a finished round is refused as to an unknown one; the round's sets and
          // readings go with it (a 48-hour run of 10,000 TNs kept 49 of them)
          this.rounds.delete(counter);
          if (timer) {
            timer.cancel();
            this.timers.delete(timer);
          }
          const durationMs = this.deps.clock.now() - startedAt;
          const missing = [...round.expected].filter((tn) => !round.answered.has(tn));
          this.deps.metrics.emit('meter_round', {
            counter,
            duration_ms: durationMs,
            responses: round.answered.size,
            missing: missing.length,
            retries: round.retries,
          });
          resolve({ round: counter, durationMs, responses: round.answered.size, missing, readings: round.readings });
        },
      };
      this.rounds.set(counter, round);
      timer = this.deps.clock.setTimer(timeoutMs, round.finish);
      this.timers.add(timer);
      const multicast = () => {
        for (const dc of this.options.dcs) this.deps.transport.send(dc, frame);
      };
      let retryMs = this.options.meterRetryMs ?? DEFAULT_METER_RETRY_MS;
      const retry = () => {
        const next = this.deps.clock.setTimer(retryMs, () => {
          this.timers.delete(next);
          if (!round.open) return;
          round.retries++;
          multicast();
          retryMs *= 2;
          retry();
        });
        this.timers.add(next);
      };
      multicast();
      if (round.expected.size === 0) round.finish();
      else retry();
    });
  }

  /**
   * Signs, then encrypts for the TN, a confidential message; returns the HES counter used. For a
   * TN whose unit was replaced and whose new unit has not registered yet, the message waits (up
   * to MAX_WAITING_MESSAGES) and goes out when it does: it is never sealed to the old unit's key.
   */
  sendConfidential(tn: NodeId, payload: Uint8Array): number | undefined {
    const registration = this.registrationOf(tn);
    if (!registration) {
      if (this.options.allowList.roleOf(tn) !== 'tn')
        throw new Error(`HES: cannot send a confidential message to ${tn}: it is not registered`);
      const waiting = this.waiting.get(tn) ?? [];
      waiting.push(payload.slice());
      if (waiting.length > MAX_WAITING_MESSAGES) waiting.shift();
      this.waiting.set(tn, waiting);
      return undefined;
    }
    const counter = this.nextCounter();
    const { frame, signed } = signThenSeal(
      sealedHeader({ cls: MessageClass.Confidential, hes: this.deps.id, tn }),
      confidentialBody({ counter, payload }),
      this.identity.sign.secretKey,
      fromHex(registration.encKey),
      this.deps.crypto,
    );
    this.observer.sent(this.deps.id, signed);
    this.deps.transport.send(registration.dc, frame);
    return counter;
  }

  /**
   * A TN's registration while it still names the keys the allow-list holds for it: once the
   * operator put a replacement unit's fingerprint there, the old unit's registration is withdrawn,
   * so nothing is sealed to its key nor accepted under it (docs/DESIGN.md 2.1, "replaced").
   */
  private registrationOf(tn: NodeId): RegisteredTn | undefined {
    const registration = this.tns.get(tn);
    if (!registration) return undefined;
    const fingerprint = keyFingerprint(fromHex(registration.signKey), fromHex(registration.encKey), this.deps.crypto);
    if (!this.options.allowList.check(tn, 'tn', fingerprint, registration.dc)) return registration;
    this.tns.delete(tn); // its record stays on disk until the new unit's replaces it; it is checked again on load
    return undefined;
  }

  /**
   * Signs a firmware release with the HES's own key, the one the manufacturer certified: TNs
   * verify it under the HES certificate of their enrolment chain. The manufacturer's root stays
   * offline (docs/DESIGN.md 2.1, "firmware update").
   */
  signFirmware(version: number, image: Uint8Array): SignedFirmware {
    return signFirmware(this.identity.sign.secretKey, this.deps.crypto, version, image);
  }

  /**
   * Sends a signed image to every DC for broadcast: the manifest, then the chunks
   * paced `chunkIntervalMs` apart so the PLC queues are not flooded; `passes` times over, as a
   * broadcast carousel, so TNs that lost a chunk complete the image on a later pass. A closed HES
   * sends no more (its pause is a timer close() cancels).
   */
  async distributeFirmware(firmware: SignedFirmware, options: { passes: number; chunkIntervalMs: number }): Promise<void> {
    if (firmware.version > this.firmwareFloor) {
      this.firmwareFloor = firmware.version;
      putJson(this.deps.store, 'firmware-floor', { version: firmware.version });
    }
    for (let pass = 0; pass < options.passes; pass++) {
      for (const frame of [firmware.manifest, ...firmware.chunks]) {
        for (const dc of this.options.dcs) this.deps.transport.send(dc, frame);
        await new Promise<void>((resolve) => {
          const pause = this.deps.clock.setTimer(options.chunkIntervalMs, () => {
            this.timers.delete(pause);
            resolve();
          });
          this.timers.add(pause);
        });
      }
    }
  }

  async close(): Promise<void> {
    this.inbox.stop();
    for (const t of this.timers) t.cancel();
    for (const round of this.rounds.values()) round.finish();
    await this.deps.transport.close();
  }

  private handle(frame: Frame, rx: ReceivedFrame): Rejection | void {
    switch (frame.cls) {
      case MessageClass.DcCsr:
        return this.onDcCsr(frame);
      case MessageClass.TnKey:
        return this.onTnKey(frame);
      case MessageClass.MeterResponse:
        return this.onMeterResponse(frame, rx);
      default:
        return reject('unexpected-class', `HES does not accept ${MessageClass[frame.cls]} frames`);
    }
  }

  private onDcCsr(csr: DcCsr): Rejection | void {
    const { crypto } = this.deps;
    // the allow-list lookup first: a flood of registrations with made-up keys costs a hash, not a verification
    const refusal = this.options.allowList.check(csr.dc, 'dc', keyFingerprint(csr.signKey, csr.encKey, crypto));
    if (refusal) return reject('not-expected', refusal);
    if (!crypto.verify(csr.signature, csr.signed, csr.signKey)) return reject('bad-signature', `CSR of ${csr.dc}`);
    const record = `dc-cert-${csr.dc}`;
    const issuedBefore = this.deps.store.get(record);
    const previous = issuedBefore && decodeCertificate(issuedBefore);
    let dcCert: Uint8Array;
    if (previous && previous.ok && equalBytes(previous.value.signKey, csr.signKey) && equalBytes(previous.value.encKey, csr.encKey)) {
      dcCert = previous.value.bytes;
    } else {
      dcCert = issueCertificate(
        { role: CertRole.Dc, issuer: this.deps.id, subject: csr.dc, signKey: csr.signKey, encKey: csr.encKey },
        this.identity.sign.secretKey,
        crypto,
      ).bytes;
      this.deps.store.put(record, dcCert);
    }
    this.observer.issued(dcCert);
    this.accepted(MessageClass.DcCsr, csr.dc, 0);
    this.deps.transport.send(csr.dc, encodeDcEnrolment({ dc: csr.dc, hesCert: this.certificate.bytes, dcCert }));
  }

  private onTnKey(key: TnKey): Rejection | void {
    const { crypto } = this.deps;
    const fingerprint = keyFingerprint(key.signKey, key.encKey, crypto);
    const refusal = this.options.allowList.check(key.tn, 'tn', fingerprint, key.dc);
    if (refusal) return reject('not-expected', refusal);
    if (!crypto.verify(key.signature, key.signed, key.signKey)) return reject('bad-signature', `key registration of ${key.tn}`);
    const dcCert = this.issuedDcCertificate(key.dc);
    if (!dcCert) return reject('not-enrolled', `${key.dc} has no certificate yet`);
    const registration: RegisteredTn = { dc: key.dc, signKey: toHex(key.signKey), encKey: toHex(key.encKey) };
    const known = this.tns.get(key.tn);
    if (!known || known.signKey !== registration.signKey || known.encKey !== registration.encKey) {
      this.tns.set(key.tn, registration);
      putJson(this.deps.store, `${TN_RECORD}${key.tn}`, registration);
    }
    const ack = signFrame(
      {
        cls: MessageClass.TnAck,
        hes: this.deps.id,
        tn: key.tn,
        dc: key.dc,
        keyDigest: fingerprint,
        dcKeyDigest: keyFingerprint(dcCert.signKey, dcCert.encKey, crypto),
        nonce: key.nonce,
        hesCounter: this.counter,
        firmwareFloor: this.firmwareFloor,
      },
      this.identity.sign.secretKey,
      crypto,
    );
    this.accepted(MessageClass.TnKey, key.tn, 0);
    this.deps.transport.send(key.dc, ack.frame);
    const waiting = this.waiting.get(key.tn) ?? [];
    this.waiting.delete(key.tn);
    for (const payload of waiting) this.sendConfidential(key.tn, payload);
  }

  /**
   * The certificate the HES issued last to a DC, while it names the keys the allow-list holds for
   * that DC: after a DC replacement no TN is acknowledged under the old unit's certificate.
   */
  private issuedDcCertificate(dc: NodeId): Certificate | undefined {
    const bytes = this.deps.store.get(`dc-cert-${dc}`);
    const cert = bytes && decodeCertificate(bytes);
    if (!cert || !cert.ok) return undefined;
    const fingerprint = keyFingerprint(cert.value.signKey, cert.value.encKey, this.deps.crypto);
    return this.options.allowList.check(dc, 'dc', fingerprint) ? undefined : cert.value;
  }

  private onMeterResponse(response: MeterResponse, rx: ReceivedFrame): Rejection | void {
    const { crypto } = this.deps;
    if (response.hes !== this.deps.id) return reject('wrong-recipient', `response addressed to ${response.hes}`);
    const registration = this.registrationOf(response.tn);
    if (!registration) return reject('unknown-sender', `${response.tn} is not registered, or was replaced and its new unit is not`);
    const plaintext = crypto.open(response.sealed, this.identity.enc.secretKey, response.header);
    if (!plaintext) return reject('decrypt-failed', `response from ${response.tn}`);
    const opened = decodeMeterReading(response.header, plaintext);
    if (!opened.ok) return opened;
    if (!crypto.verify(opened.value.signature, opened.value.signed, fromHex(registration.signKey)))
      return reject('bad-signature', `response from ${response.tn}`);
    const reading = opened.value.content;
    const round = this.rounds.get(reading.counter);
    if (!round || !round.open) return reject('no-outstanding-request', `no open round ${reading.counter}`);
    if (!round.expected.has(response.tn))
      return reject('no-outstanding-request', `${response.tn} was not asked in round ${reading.counter}`);
    if (round.answered.has(response.tn)) return reject('duplicate-response', `${response.tn} already answered round ${reading.counter}`);
    round.answered.add(response.tn);
    round.readings.set(response.tn, reading.registers);
    this.readings.set(response.tn, reading);
    this.accepted(MessageClass.MeterResponse, response.tn, reading.counter);
    this.observer.accepted({
      node: this.deps.id,
      cls: MessageClass.MeterResponse,
      sender: response.tn,
      counter: reading.counter,
      recipient: response.hes,
      signed: opened.value.signed,
      signerKey: fromHex(registration.signKey),
      ...(rx.attack ? { attack: rx.attack } : {}),
    });
    if (round.answered.size === round.expected.size) round.finish();
  }

  private accepted(cls: MessageClass, sender: NodeId, counter: number): void {
    this.deps.metrics.emit('frame_accepted', { count: 1, counter, sender }, { role: 'hes', class: MESSAGE_CLASS_NAMES[cls] });
  }

  private nextCounter(): number {
    this.counter++;
    // persisted before the counter is used, so a restart can never reuse it
    putJson(this.deps.store, 'counter', { value: this.counter });
    return this.counter;
  }
}
