/**
 * The data concentrator in lean mode. It registers itself at the HES, relays TN registrations,
 * and forwards HES and TN traffic without being able to read or forge it (it only reads the clear
 * header to route). Its own messages are automation broadcasts to its segment, signed with its key
 * and a counter that survives restarts.
 */
import { equalBytes } from '../../core/bytes';
import type { Certificate } from '../protocol/certificate';
import { encodeTnEnrolment, type DcEnrolment, type TnAck } from '../protocol/enrolment-frames';
import { withSignature, type Frame } from '../protocol/frame';
import { MESSAGE_CLASS_NAMES, MessageClass } from '../protocol/message-class';
import { reject, type Rejection } from '../protocol/rejection';
import { SEGMENT_BROADCAST, type DepartureListener, type NodeId, type ReceivedFrame } from '../../core/transport';
import { getJson, putJson } from '../store/node-store';
import { loadDcChain, saveDcChain, verifyDcChain, type DcChainBytes } from './cert-chain';
import { NO_OBSERVER } from '../oracle/goal-oracle';
import { keyFingerprint, type Identity } from './identity';
import { signFrame } from './frame-builders';
import { openInbox, type Inbox } from './inbox';
import { BroadcastRepeater, type BroadcastRepeats } from './broadcast-repeats';
import { EnrolmentLoop } from './enrolment-loop';
import { DEFAULT_RETRY, type LeanNodeDeps, type RetryPolicy } from './node-deps';

export interface DcOptions {
  readonly hes: NodeId;
  readonly retry?: RetryPolicy;
  /** Automation broadcasts sent again, the same frame (./broadcast-repeats.ts); none by default. */
  readonly repeats?: BroadcastRepeats;
}

export interface IssuedCommand {
  readonly counter: number;
  readonly frame: Uint8Array;
  readonly issuedAt: number;
  /** Times the frame goes on the segment: 1 + the repetition policy's repeats. */
  readonly copies: number;
}

const TN_RECORD = 'tn-';

export class Dc {
  readonly identity: Identity;
  private hesCert?: Certificate;
  private dcCert?: Certificate;
  private counter: number;
  private readonly tns = new Set<NodeId>();
  private readonly inbox: Inbox;
  private readonly enrolment: EnrolmentLoop;
  private readonly observer;
  private readonly repeater: BroadcastRepeater;

  private constructor(
    private readonly deps: LeanNodeDeps,
    private readonly options: DcOptions,
  ) {
    this.observer = deps.observer ?? NO_OBSERVER;
    this.identity = deps.identity;
    this.counter = getJson<{ value: number }>(deps.store, 'counter')?.value ?? 0;
    for (const record of deps.store.list(TN_RECORD)) this.tns.add(record.slice(TN_RECORD.length));
    // as the TN does: a stored chain that no longer verifies means the node's files or the
    // provisioning changed under it; enrolling anew is the operator's step (docs/DESIGN.md 2.1)
    const stored = loadDcChain(deps.store);
    const refusal = stored && this.installCerts(stored);
    if (refusal) throw new Error(`DC ${deps.id}: stored certificates no longer verify: ${refusal.detail}`);
    this.enrolment = new EnrolmentLoop(deps.clock, deps.random, (departed) => this.sendCsr(departed), {
      ...(options.retry ?? DEFAULT_RETRY),
      // its WAN link is its own, not a medium shared with other DCs: its CSR goes at once
      spreadMs: 0,
    });
    this.repeater = new BroadcastRepeater(deps.clock, options.repeats ?? { repeats: 0, spacingMs: 0 }, (frame, sentAt) =>
      deps.transport.send(SEGMENT_BROADCAST, frame, { sentAt }),
    );
    this.inbox = openInbox('dc', deps.transport, deps.metrics, (frame, rx) => this.handle(frame, rx));
  }

  static create(deps: LeanNodeDeps, options: DcOptions): Dc {
    return new Dc(deps, options);
  }

  get enrolled(): boolean {
    return this.dcCert !== undefined;
  }

  get certificates(): { hesCert: Certificate | undefined; dcCert: Certificate | undefined } {
    return { hesCert: this.hesCert, dcCert: this.dcCert };
  }

  /** Sends the CSR, and again with backoff until certificates arrive. Resolves once enrolled (or closed). */
  bootstrap(): Promise<void> {
    return this.enrolled ? Promise.resolve() : this.enrolment.run();
  }

  /** Signs and broadcasts an automation command to every TN of the segment (and its repeats, if any). */
  automation(relay: 0 | 1): IssuedCommand {
    this.counter++;
    putJson(this.deps.store, 'counter', { value: this.counter });
    const { frame, signed } = signFrame(
      { cls: MessageClass.Automation, dc: this.deps.id, group: this.deps.id, counter: this.counter, relay },
      this.identity.sign.secretKey,
      this.deps.crypto,
    );
    this.observer.sent(this.deps.id, signed);
    const issuedAt = this.deps.clock.now();
    this.deps.transport.send(SEGMENT_BROADCAST, frame);
    this.repeater.repeat(frame, issuedAt);
    return { counter: this.counter, frame, issuedAt, copies: this.repeater.copies };
  }

  async close(): Promise<void> {
    this.repeater.stop();
    this.inbox.stop();
    this.enrolment.stop();
    await this.deps.transport.close();
  }

  private sendCsr(departed: DepartureListener): void {
    const csr = signFrame(
      { cls: MessageClass.DcCsr, dc: this.deps.id, signKey: this.identity.sign.publicKey, encKey: this.identity.enc.publicKey },
      this.identity.sign.secretKey,
      this.deps.crypto,
    );
    this.deps.transport.send(this.options.hes, csr.frame, undefined, departed);
  }

  private handle(frame: Frame, rx: ReceivedFrame): Rejection | void {
    const trace = { sentAt: rx.sentAt, ...(rx.attack ? { attack: rx.attack } : {}) };
    const fromHes = rx.from === this.options.hes;
    switch (frame.cls) {
      case MessageClass.DcEnrolment:
        return fromHes ? this.onEnrolment(frame, rx) : reject('unexpected-class', 'enrolment not from the HES link');
      case MessageClass.TnAck:
        return fromHes ? this.onTnAck(frame) : reject('unexpected-class', 'TN acknowledgement not from the HES link');
      case MessageClass.MeterRequest:
      case MessageClass.FirmwareManifest:
      case MessageClass.FirmwareChunk:
        if (!fromHes) return reject('unexpected-class', `${MessageClass[frame.cls]} from a TN`);
        this.deps.transport.send(SEGMENT_BROADCAST, rx.frame, trace);
        return;
      case MessageClass.Confidential:
        if (!fromHes) return reject('unexpected-class', 'confidential message from a TN');
        if (!this.tns.has(frame.tn)) return reject('wrong-recipient', `${frame.tn} is not registered on this segment`);
        this.deps.transport.send(frame.tn, rx.frame, trace);
        return;
      case MessageClass.TnKey:
        if (fromHes) return reject('unexpected-class', 'TN key from the HES link');
        if (frame.dc !== this.deps.id) return reject('wrong-recipient', `${frame.tn} registers through ${frame.dc}`);
        this.deps.transport.send(this.options.hes, rx.frame, trace);
        return;
      case MessageClass.MeterResponse:
        if (fromHes) return reject('unexpected-class', 'meter response from the HES link');
        this.deps.transport.send(this.options.hes, rx.frame, trace);
        return;
      default:
        return reject('unexpected-class', `a DC does not relay ${MessageClass[frame.cls]}`);
    }
  }

  private onEnrolment(enrolment: DcEnrolment, rx: ReceivedFrame): Rejection | void {
    if (this.enrolled) return reject('unexpected-class', 'already enrolled');
    if (enrolment.dc !== this.deps.id) return reject('wrong-recipient', `enrolment for ${enrolment.dc}`);
    const refusal = this.installCerts(enrolment);
    if (refusal) return refusal;
    saveDcChain(this.deps.store, enrolment);
    const { durationMs, registrations } = this.enrolment.done();
    this.deps.metrics.emit('bootstrap', { duration_ms: durationMs, registrations }, { role: 'dc' });
    this.observer.accepted({
      node: this.deps.id,
      cls: MessageClass.DcEnrolment,
      sender: this.options.hes,
      counter: 0,
      recipient: this.deps.id,
      signed: enrolment.dcCert,
      signerKey: this.hesCert!.signKey,
      certificates: [enrolment.hesCert, enrolment.dcCert],
      ...(rx.attack ? { attack: rx.attack } : {}),
    });
  }

  /** Verifies manufacturer -> HES -> this DC, with the DC cert naming this DC's own keys. */
  private installCerts(chain: DcChainBytes): Rejection | void {
    const verified = verifyDcChain(chain, { hes: this.options.hes, dc: this.deps.id }, this.deps.manufacturerKey, this.deps.crypto);
    if (!verified.ok) return verified;
    const { hesCert, dcCert } = verified.value;
    if (!equalBytes(dcCert.signKey, this.identity.sign.publicKey) || !equalBytes(dcCert.encKey, this.identity.enc.publicKey))
      return reject('untrusted-certificate', "DC certificate names keys other than this DC's");
    this.hesCert = hesCert;
    this.dcCert = dcCert;
  }

  private onTnAck(ack: TnAck): Rejection | void {
    if (!this.hesCert || !this.dcCert) return reject('not-enrolled', `cannot pass on the acknowledgement of ${ack.tn}`);
    if (ack.dc !== this.deps.id) return reject('wrong-recipient', `acknowledgement for a TN of ${ack.dc}`);
    if (ack.hes !== this.options.hes || !this.deps.crypto.verify(ack.signature, ack.signed, this.hesCert.signKey))
      return reject('bad-signature', `acknowledgement of ${ack.tn}`);
    if (!equalBytes(ack.dcKeyDigest, keyFingerprint(this.identity.sign.publicKey, this.identity.enc.publicKey, this.deps.crypto)))
      return reject('wrong-recipient', `acknowledgement of ${ack.tn} names another unit of ${this.deps.id}`);
    if (!this.tns.has(ack.tn)) {
      this.tns.add(ack.tn);
      putJson(this.deps.store, `${TN_RECORD}${ack.tn}`, {});
    }
    this.deps.metrics.emit(
      'frame_accepted',
      { count: 1, counter: 0, sender: ack.hes },
      { role: 'dc', class: MESSAGE_CLASS_NAMES[ack.cls] },
    );
    const anchor = signFrame(
      { cls: MessageClass.CounterAnchor, dc: this.deps.id, tn: ack.tn, nonce: ack.nonce, counter: this.counter },
      this.identity.sign.secretKey,
      this.deps.crypto,
    );
    const enrolment = encodeTnEnrolment({
      tn: ack.tn,
      hesCert: this.hesCert.bytes,
      dcCert: this.dcCert.bytes,
      ack: withSignature(ack.signed, ack.signature),
      anchor: anchor.frame,
    });
    this.deps.transport.send(ack.tn, enrolment);
  }
}
