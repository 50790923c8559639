/**
 * The terminal node in lean mode. It accepts a message only when it is authentic (verified with
 * the chain manufacturer -> HES -> its DC that it checked at enrolment), meant for it, and fresh
 * (its counter above the last one accepted from that sender, or a firmware version above the
 * installed one). Counters and the installed version are saved before the message takes effect.
 *
 * Processing runs on the node's clock: an optional compute model delays each message's effect by
 * the time its crypto operations take on the TN's CPU, one message at a time, like a
 * microcontroller would.
 */
import { TnCpu, type ComputeModel, type CryptoOp } from '../compute-profile';
import { equalBytes } from '../../core/bytes';
import type { Certificate } from '../protocol/certificate';
import type { TnEnrolment } from '../protocol/enrolment-frames';
import { decodeFrame, type Frame } from '../protocol/frame';
import { ALL_TNS, NONCE_BYTES } from '../protocol/frame-fields';
import {
  decodeConfidentialContent,
  meterReadingBody,
  sealedHeader,
  type Automation,
  type Confidential,
  type FirmwareChunk,
  type FirmwareManifest,
  type MeterRequest,
} from '../protocol/operational-frames';
import { MESSAGE_CLASS_NAMES, MessageClass } from '../protocol/message-class';
import { reject, type Rejection, type Result } from '../protocol/rejection';
import type { DepartureListener, NodeId, ReceivedFrame } from '../../core/transport';
import type { MeterSource, RelayActuator } from '../mode';
import { getJson, putJson } from '../store/node-store';
import { FirmwareReceiver, type FirmwareHost } from './firmware-receiver';
import { loadDcChain, saveDcChain, verifyDcChain, type CertificateCache, type DcChainBytes } from './cert-chain';
import { MANUFACTURER_ID, NO_OBSERVER, type Acceptance } from '../oracle/goal-oracle';
import { keyFingerprint, type Identity } from './identity';
import { signFrame, signThenSeal } from './frame-builders';
import { openInbox, type Inbox } from './inbox';
import { EnrolmentLoop } from './enrolment-loop';
import type { RepeatWindow } from './broadcast-repeats';
import type { LeanNodeDeps, RetryPolicy } from './node-deps';

export interface TnOptions {
  readonly dc: NodeId;
  readonly hes: NodeId;
  readonly meter: MeterSource;
  readonly relay?: RelayActuator;
  readonly compute?: ComputeModel;
  readonly retry?: RetryPolicy;
  /** Told of every firmware image this TN installs, when it is installed (the mode's rollout waits on it). */
  readonly onFirmwareInstalled?: (version: number) => void;
  /** The copies of its DC's repeated automation broadcasts it may still see (./broadcast-repeats.ts). */
  readonly repeats?: RepeatWindow;
  /** Where its verified HES and DC certificates are kept, one copy for all the mode's TNs. */
  readonly certificates?: CertificateCache;
}

/**
 * Last accepted counters. The HES numbers meter requests and confidential messages from one
 * counter, but each class is kept fresh on its own: a confidential message accepted between a
 * meter request and its retry must not make the retry stale for a TN that missed the original.
 * Signed content names the class, so one class's counter can never be replayed as the other's.
 */
interface Counters {
  hes: number;
  confidential: number;
  dc: number;
}

export class Tn implements FirmwareHost {
  readonly identity: Identity;
  private hesCert: Certificate | undefined;
  private dcCert: Certificate | undefined;
  private counters: Counters;
  private readonly firmware: FirmwareReceiver;
  private readonly inbox: Inbox;
  private readonly enrolment: EnrolmentLoop;
  /** Fresh random value of the current enrolment attempt, echoed by the HES and the DC. */
  private enrolmentNonce: Uint8Array | undefined;
  private readonly cpu: TnCpu;
  private readonly observer;
  /** Confidential payloads accepted, newest last (what an application on the TN would consume). */
  readonly inboxMessages: Uint8Array[] = [];
  relayState?: boolean;

  private constructor(
    private readonly deps: LeanNodeDeps,
    private readonly options: TnOptions,
  ) {
    this.observer = deps.observer ?? NO_OBSERVER;
    this.cpu = new TnCpu(deps.clock, options.compute);
    this.identity = deps.identity;
    this.counters = { hes: 0, confidential: 0, dc: 0, ...getJson<Partial<Counters>>(deps.store, 'counters') };
    this.firmware = new FirmwareReceiver(deps, this);
    const stored = loadDcChain(deps.store);
    if (stored) {
      const checked = this.checkEnrolment(stored);
      if (!checked.ok) throw new Error(`TN ${deps.id}: stored certificates no longer verify: ${checked.detail}`);
    }
    this.enrolment = new EnrolmentLoop(deps.clock, deps.random, (departed) => this.sendKey(departed), options.retry);
    this.inbox = openInbox('tn', deps.transport, deps.metrics, (frame, rx) => this.handle(frame, rx));
  }

  static create(deps: LeanNodeDeps, options: TnOptions): Tn {
    return new Tn(deps, options);
  }

  /** FirmwareHost: the key firmware releases are signed with (the HES's, from its certificate). */
  firmwareSignerKey(): Uint8Array | undefined {
    return this.hesCert?.signKey;
  }

  /** FirmwareHost: counts a refusal of a held firmware chunk judged after its frame was taken in. */
  refuseHeldFrame(rejection: Rejection, rx: ReceivedFrame): void {
    this.inbox.refuse(rejection, rx);
  }

  /** FirmwareHost: the CPU time a firmware frame's checks take. */
  occupyCpu(ops: readonly CryptoOp[]): void {
    this.cpu.occupy(ops);
  }

  get enrolled(): boolean {
    return this.dcCert !== undefined;
  }

  get firmwareVersion(): number {
    return this.firmware.version;
  }

  get lastCounters(): Readonly<Counters> {
    return { ...this.counters };
  }

  /** Sends its public keys to its DC, and again with backoff until enrolled (or closed). */
  bootstrap(): Promise<void> {
    return this.enrolled ? Promise.resolve() : this.enrolment.run();
  }

  /**
   * The TN lost power and got it back: the work on its CPU and a firmware transfer in progress
   * (held in memory) are gone; keys, certificates, counters and the installed version are on disk.
   */
  powerRestored(): void {
    this.cpu.restart();
    this.firmware.powerRestored();
  }

  async close(): Promise<void> {
    this.inbox.stop();
    this.enrolment.stop();
    this.cpu.stop();
    await this.deps.transport.close();
  }

  private sendKey(departed: DepartureListener): void {
    this.enrolmentNonce ??= this.deps.crypto.randomBytes(NONCE_BYTES);
    const registration = signFrame(
      {
        cls: MessageClass.TnKey,
        tn: this.deps.id,
        dc: this.options.dc,
        signKey: this.identity.sign.publicKey,
        encKey: this.identity.enc.publicKey,
        nonce: this.enrolmentNonce,
      },
      this.identity.sign.secretKey,
      this.deps.crypto,
    );
    this.deps.transport.send(this.options.dc, registration.frame, undefined, departed);
  }

  private handle(frame: Frame, rx: ReceivedFrame): Rejection | void {
    switch (frame.cls) {
      case MessageClass.TnEnrolment:
        return this.onEnrolment(frame, rx);
      case MessageClass.MeterRequest:
        return this.onMeterRequest(frame, rx);
      case MessageClass.Confidential:
        return this.onConfidential(frame, rx);
      case MessageClass.Automation:
        return this.onAutomation(frame, rx);
      case MessageClass.FirmwareManifest:
        return this.onManifest(frame);
      case MessageClass.FirmwareChunk:
        return this.onChunk(frame, rx);
      default:
        return reject('unexpected-class', `a TN does not accept ${MessageClass[frame.cls]}`);
    }
  }

  // ---- enrolment ------------------------------------------------------------------------------

  private onEnrolment(enrolment: TnEnrolment, rx: ReceivedFrame): Rejection | void {
    if (this.enrolled) return reject('unexpected-class', 'already enrolled');
    if (enrolment.tn !== this.deps.id) return reject('wrong-recipient', `enrolment for ${enrolment.tn}`);
    const anchors = this.checkEnrolment(enrolment, { ack: enrolment.ack, anchor: enrolment.anchor });
    if (!anchors.ok) return anchors;
    // counters start where the HES and this DC are now: nothing they sent before can be accepted
    this.saveCounters({
      hes: Math.max(this.counters.hes, anchors.value.hes),
      confidential: Math.max(this.counters.confidential, anchors.value.hes),
      dc: anchors.value.dc,
    });
    this.firmware.raiseFloor(anchors.value.firmwareFloor);
    this.enrolmentNonce = undefined;
    saveDcChain(this.deps.store, enrolment);
    const { durationMs, registrations } = this.enrolment.done();
    this.deps.metrics.emit('bootstrap', { duration_ms: durationMs, registrations }, { role: 'tn' });
    this.report(rx, {
      cls: MessageClass.TnEnrolment,
      sender: this.options.dc,
      counter: 0,
      recipient: this.deps.id,
      signed: enrolment.dcCert,
      signerKey: this.hesCert!.signKey,
      certificates: [enrolment.hesCert, enrolment.dcCert],
    });
  }

  /**
   * Verifies manufacturer -> HES -> this TN's DC and, for a new enrolment, the HES's signed
   * acknowledgement of this TN's keys and the DC's signed counter anchor; returns the counters
   * they state (0 when only the stored chain is checked).
   */
  private checkEnrolment(
    chain: DcChainBytes,
    proof?: { ack: Uint8Array; anchor: Uint8Array },
  ): Result<{ hes: number; dc: number; firmwareFloor: number }> {
    const { crypto, manufacturerKey } = this.deps;
    const { hes, dc } = this.options;
    const verified = verifyDcChain(chain, { hes, dc }, manufacturerKey, crypto);
    if (!verified.ok) return verified;
    const { hesCert, dcCert } = verified.value;
    let counters = { hes: 0, dc: 0, firmwareFloor: 0 };
    if (proof) {
      const ack = decodeFrame(proof.ack);
      if (!ack.ok || ack.value.cls !== MessageClass.TnAck)
        return reject('untrusted-certificate', 'enrolment without a HES acknowledgement');
      const a = ack.value;
      if (a.hes !== hes || a.tn !== this.deps.id || a.dc !== dc)
        return reject('untrusted-certificate', `acknowledgement names ${a.hes}/${a.dc}/${a.tn}`);
      if (!equalBytes(a.keyDigest, keyFingerprint(this.identity.sign.publicKey, this.identity.enc.publicKey, crypto)))
        return reject('untrusted-certificate', 'acknowledgement is for other keys');
      // only the answer to this very attempt, naming the DC unit the HES certified last: an old
      // enrolment (an old DC unit, old counters) replayed into a re-enrolment is refused
      if (!this.enrolmentNonce || !equalBytes(a.nonce, this.enrolmentNonce))
        return reject('stale-counter', 'acknowledgement of an earlier enrolment attempt');
      if (!equalBytes(a.dcKeyDigest, keyFingerprint(dcCert.signKey, dcCert.encKey, crypto)))
        return reject('untrusted-certificate', 'DC certificate is not the one the HES acknowledged');
      if (!crypto.verify(a.signature, a.signed, hesCert.signKey)) return reject('bad-signature', 'acknowledgement not signed by the HES');
      const anchor = decodeFrame(proof.anchor);
      if (!anchor.ok || anchor.value.cls !== MessageClass.CounterAnchor)
        return reject('untrusted-certificate', 'enrolment without a DC counter anchor');
      const c = anchor.value;
      if (c.dc !== dc || c.tn !== this.deps.id) return reject('untrusted-certificate', `counter anchor names ${c.dc}/${c.tn}`);
      if (!equalBytes(c.nonce, this.enrolmentNonce)) return reject('stale-counter', 'counter anchor of an earlier enrolment attempt');
      if (!crypto.verify(c.signature, c.signed, dcCert.signKey)) return reject('bad-signature', 'counter anchor not signed by the DC');
      counters = { hes: a.hesCounter, dc: c.counter, firmwareFloor: a.firmwareFloor };
    }
    this.hesCert = this.options.certificates?.shared(hesCert) ?? hesCert;
    this.dcCert = this.options.certificates?.shared(dcCert) ?? dcCert;
    return { ok: true, value: counters };
  }

  /**
   * Forgets the certificate chain and enrols again: what a TN does when its DC was replaced by a
   * new unit with new keys. Counters restart from the anchors of the new enrolment.
   */
  reenrol(): Promise<void> {
    this.hesCert = undefined;
    this.dcCert = undefined;
    saveDcChain(this.deps.store, null);
    this.enrolmentNonce = undefined;
    this.enrolment.stop();
    return this.bootstrap();
  }

  // ---- HES multicast and confidential messages --------------------------------------------------

  private onMeterRequest(request: MeterRequest, rx: ReceivedFrame): Rejection | void {
    if (!this.hesCert) return reject('not-enrolled', 'meter request before enrolment');
    if (request.hes !== this.options.hes) return reject('wrong-sender', `request names ${request.hes} as sender`);
    if (request.group !== ALL_TNS && request.group !== this.options.dc)
      return reject('wrong-recipient', `request for group ${request.group}`);
    if (!this.deps.crypto.verify(request.signature, request.signed, this.hesCert.signKey))
      return this.spent(['verify'], reject('bad-signature', 'meter request'));
    if (request.counter <= this.counters.hes)
      return this.spent(['verify'], reject('stale-counter', `HES counter ${request.counter} <= ${this.counters.hes}`));
    this.saveCounters({ hes: request.counter });
    const hesKey = this.hesCert.signKey;

    const response = signThenSeal(
      sealedHeader({ cls: MessageClass.MeterResponse, tn: this.deps.id, hes: this.options.hes }),
      meterReadingBody({ counter: request.counter, registers: this.options.meter.registers() }),
      this.identity.sign.secretKey,
      this.hesCert.encKey,
      this.deps.crypto,
    );
    this.observer.sent(this.deps.id, response.signed);
    this.cpu.after(['verify', 'sign', 'encrypt'], () => {
      this.report(rx, {
        cls: request.cls,
        sender: request.hes,
        recipient: request.group,
        counter: request.counter,
        signed: request.signed,
        signerKey: hesKey,
      });
      this.deps.transport.send(this.options.dc, response.frame);
    });
  }

  private onConfidential(message: Confidential, rx: ReceivedFrame): Rejection | void {
    if (!this.hesCert) return reject('not-enrolled', 'confidential message before enrolment');
    if (message.tn !== this.deps.id) return reject('wrong-recipient', `confidential message for ${message.tn}`);
    if (message.hes !== this.options.hes) return reject('wrong-sender', `confidential message names ${message.hes}`);
    const plaintext = this.deps.crypto.open(message.sealed, this.identity.enc.secretKey, message.header);
    if (!plaintext) return this.spent(['decrypt'], reject('decrypt-failed', 'confidential message'));
    const opened = decodeConfidentialContent(message.header, plaintext);
    if (!opened.ok) return this.spent(['decrypt'], opened);
    if (!this.deps.crypto.verify(opened.value.signature, opened.value.signed, this.hesCert.signKey))
      return this.spent(['decrypt', 'verify'], reject('bad-signature', 'confidential message'));
    const { counter, payload } = opened.value.content;
    if (counter <= this.counters.confidential)
      return this.spent(['decrypt', 'verify'], reject('stale-counter', `HES counter ${counter} <= ${this.counters.confidential}`));
    this.saveCounters({ confidential: counter });
    const hesKey = this.hesCert.signKey;
    this.cpu.after(['decrypt', 'verify'], () => {
      this.inboxMessages.push(payload);
      this.report(rx, {
        cls: message.cls,
        sender: message.hes,
        recipient: message.tn,
        counter,
        signed: opened.value.signed,
        signerKey: hesKey,
      });
    });
  }

  // ---- automation -----------------------------------------------------------------------------

  private onAutomation(command: Automation, rx: ReceivedFrame): Rejection | void {
    if (!this.dcCert) return reject('not-enrolled', 'automation command before enrolment');
    if (command.dc !== this.options.dc) return reject('wrong-sender', `command from ${command.dc}, this TN belongs to ${this.options.dc}`);
    if (command.group !== this.options.dc) return reject('wrong-recipient', `command for group ${command.group}`);
    if (command.counter <= this.counters.dc && this.options.repeats?.isRepeat(rx.frame))
      return reject('duplicate-command', `a repeat of DC counter ${command.counter}, accepted already`);
    if (!this.deps.crypto.verify(command.signature, command.signed, this.dcCert.signKey))
      return this.spent(['verify'], reject('bad-signature', 'automation command'));
    if (command.counter <= this.counters.dc)
      return this.spent(['verify'], reject('stale-counter', `DC counter ${command.counter} <= ${this.counters.dc}`));
    this.saveCounters({ dc: command.counter });
    this.options.repeats?.accepted(rx.frame);
    const dcKey = this.dcCert.signKey;
    const receivedAt = this.deps.clock.now();
    this.cpu.after(['verify'], () => {
      const now = this.deps.clock.now();
      this.relayState = command.relay === 1;
      this.options.relay?.switchRelay(this.relayState, { sentAt: rx.sentAt, receivedAt });
      this.deps.metrics.emit('automation_latency', { latency_ms: now - rx.sentAt, counter: command.counter });
      this.report(rx, {
        cls: command.cls,
        sender: command.dc,
        recipient: command.group,
        counter: command.counter,
        signed: command.signed,
        signerKey: dcKey,
      });
    });
  }

  // ---- firmware -------------------------------------------------------------------------------

  // Nothing before the enrolment set this unit's floors: a superseded release replayed to a
  // replacement unit whose enrolment the attacker holds back is refused, not installed.
  private onManifest(manifest: FirmwareManifest): Rejection | void {
    if (!this.enrolled) return reject('not-enrolled', 'firmware manifest before enrolment');
    return this.firmware.onManifest(manifest);
  }

  private onChunk(chunk: FirmwareChunk, rx: ReceivedFrame): Rejection | void {
    if (!this.enrolled) return reject('not-enrolled', 'firmware chunk before enrolment');
    const result = this.firmware.onChunk(chunk, rx);
    if (!result || 'ok' in result) return result;
    const { manifest, durationMs } = result;
    this.deps.metrics.emit('firmware_install', { version: manifest.version, duration_ms: durationMs });
    this.report(rx, {
      cls: MessageClass.FirmwareManifest,
      sender: MANUFACTURER_ID,
      recipient: manifest.group,
      counter: manifest.version,
      signed: manifest.signed,
      signerKey: this.hesCert!.signKey,
    });
    this.options.onFirmwareInstalled?.(manifest.version);
  }

  // ---- bookkeeping ----------------------------------------------------------------------------

  private saveCounters(update: Partial<Counters>): void {
    this.counters = { ...this.counters, ...update };
    putJson(this.deps.store, 'counters', this.counters);
  }

  private report(rx: ReceivedFrame, a: Omit<Acceptance, 'node' | 'attack'>): void {
    this.deps.metrics.emit(
      'frame_accepted',
      { count: 1, counter: a.counter, sender: a.sender },
      { role: 'tn', class: MESSAGE_CLASS_NAMES[a.cls] },
    );
    this.observer.accepted({ node: this.deps.id, ...a, ...(rx.attack ? { attack: rx.attack } : {}) });
  }

  /** Occupies the CPU for the given operations; returns the refusal so callers can `return spent(...)`. */
  private spent(ops: readonly CryptoOp[], refusal?: Rejection): Rejection | undefined {
    this.cpu.occupy(ops);
    return refusal;
  }
}
