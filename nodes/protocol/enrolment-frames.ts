/**
 * The enrolment frames: how a DC gets its certificate from the HES (DcCsr, DcEnrolment) and how a
 * TN registers its keys and receives its enrolment through its DC (TnKey, TnAck, CounterAnchor,
 * TnEnrolment). Layouts as in frame.ts's header: version, class, then the fields below in order.
 */
import type { ByteReader } from './bytes';
import {
  digest,
  header,
  key,
  nonce,
  signature,
  type Signed,
  type Unsigned,
  DIGEST_BYTES,
  NONCE_BYTES,
  PUBLIC_KEY_BYTES,
} from './frame-fields';
import { MessageClass } from './message-class';

export interface DcCsr extends Signed {
  readonly cls: MessageClass.DcCsr;
  readonly dc: string;
  readonly signKey: Uint8Array;
  readonly encKey: Uint8Array;
}

export interface DcEnrolment {
  readonly cls: MessageClass.DcEnrolment;
  readonly dc: string;
  readonly hesCert: Uint8Array;
  readonly dcCert: Uint8Array;
}

export interface TnKey extends Signed {
  readonly cls: MessageClass.TnKey;
  readonly tn: string;
  readonly dc: string;
  readonly signKey: Uint8Array;
  readonly encKey: Uint8Array;
  /** Fresh per enrolment attempt: the acknowledgement and the counter anchor must carry it. */
  readonly nonce: Uint8Array;
}

/**
 * The HES's signed acknowledgement that it registered a TN's keys. It carries the HES counter at
 * that moment, so a TN that enrols (a new unit replacing a failed one) starts from it and never
 * accepts a multicast the HES sent before, and the latest firmware version the HES has rolled
 * out, below which the new unit installs nothing (an old, genuinely signed release replayed to a
 * fresh unit would otherwise downgrade it below the fleet).
 */
export interface TnAck extends Signed {
  readonly cls: MessageClass.TnAck;
  readonly hes: string;
  readonly tn: string;
  readonly dc: string;
  /** SHA-256 of the TN's signKey || encKey as registered. */
  readonly keyDigest: Uint8Array;
  /** SHA-256 of the keys of the DC certificate the HES issued last: the TN accepts no other DC. */
  readonly dcKeyDigest: Uint8Array;
  /** The nonce of the TN's registration: an acknowledgement is good for one enrolment only. */
  readonly nonce: Uint8Array;
  readonly hesCounter: number;
  readonly firmwareFloor: number;
}

/** The DC's signed statement, for one TN, of the counter its last automation command used. */
export interface CounterAnchor extends Signed {
  readonly cls: MessageClass.CounterAnchor;
  readonly dc: string;
  readonly tn: string;
  /** The nonce of the TN's registration, so an anchor cannot be kept and replayed later. */
  readonly nonce: Uint8Array;
  readonly counter: number;
}

export interface TnEnrolment {
  readonly cls: MessageClass.TnEnrolment;
  readonly tn: string;
  readonly hesCert: Uint8Array;
  readonly dcCert: Uint8Array;
  /** The encoded TnAck frame, passed on unchanged by the DC. */
  readonly ack: Uint8Array;
  /** The encoded CounterAnchor frame of the DC. */
  readonly anchor: Uint8Array;
}

export type EnrolmentFrame = DcCsr | DcEnrolment | TnKey | TnAck | CounterAnchor | TnEnrolment;

/** The bytes a signer of an enrolment frame signs (the frame minus its signature). */
export function enrolmentSignedBytes(f: Unsigned<DcCsr> | Unsigned<TnKey> | Unsigned<TnAck> | Unsigned<CounterAnchor>): Uint8Array {
  switch (f.cls) {
    case MessageClass.DcCsr:
      return header(f.cls).id(f.dc).bytes(key(f.signKey)).bytes(key(f.encKey)).finish();
    case MessageClass.TnKey:
      return header(f.cls).id(f.tn).id(f.dc).bytes(key(f.signKey)).bytes(key(f.encKey)).bytes(nonce(f.nonce)).finish();
    case MessageClass.TnAck:
      return header(f.cls)
        .id(f.hes)
        .id(f.tn)
        .id(f.dc)
        .bytes(digest(f.keyDigest))
        .bytes(digest(f.dcKeyDigest))
        .bytes(nonce(f.nonce))
        .u32(f.hesCounter)
        .u32(f.firmwareFloor)
        .finish();
    case MessageClass.CounterAnchor:
      return header(f.cls).id(f.dc).id(f.tn).bytes(nonce(f.nonce)).u32(f.counter).finish();
  }
}

export function encodeDcEnrolment(f: Omit<DcEnrolment, 'cls'>): Uint8Array {
  return header(MessageClass.DcEnrolment).id(f.dc).blob16(f.hesCert).blob16(f.dcCert).finish();
}

export function encodeTnEnrolment(f: Omit<TnEnrolment, 'cls'>): Uint8Array {
  return header(MessageClass.TnEnrolment).id(f.tn).blob16(f.hesCert).blob16(f.dcCert).blob16(f.ack).blob16(f.anchor).finish();
}

/** The body of an enrolment frame after its header; undefined when `cls` is not an enrolment class. */
export function decodeEnrolmentBody(cls: MessageClass, r: ByteReader): EnrolmentFrame | undefined {
  switch (cls) {
    case MessageClass.DcCsr: {
      const dc = r.id('dc');
      const signKey = r.bytes(PUBLIC_KEY_BYTES, 'signKey');
      const encKey = r.bytes(PUBLIC_KEY_BYTES, 'encKey');
      return { cls, dc, signKey, encKey, ...signature(r) };
    }
    case MessageClass.DcEnrolment:
      return { cls, dc: r.id('dc'), hesCert: r.blob16('hesCert'), dcCert: r.blob16('dcCert') };
    case MessageClass.TnKey: {
      const tn = r.id('tn');
      const dc = r.id('dc');
      const signKey = r.bytes(PUBLIC_KEY_BYTES, 'signKey');
      const encKey = r.bytes(PUBLIC_KEY_BYTES, 'encKey');
      const nonce = r.bytes(NONCE_BYTES, 'nonce');
      return { cls, tn, dc, signKey, encKey, nonce, ...signature(r) };
    }
    case MessageClass.TnAck: {
      const hes = r.id('hes');
      const tn = r.id('tn');
      const dc = r.id('dc');
      const keyDigest = r.bytes(DIGEST_BYTES, 'keyDigest');
      const dcKeyDigest = r.bytes(DIGEST_BYTES, 'dcKeyDigest');
      const nonce = r.bytes(NONCE_BYTES, 'nonce');
      const hesCounter = r.u32('hesCounter');
      const firmwareFloor = r.u32('firmwareFloor');
      return { cls, hes, tn, dc, keyDigest, dcKeyDigest, nonce, hesCounter, firmwareFloor, ...signature(r) };
    }
    case MessageClass.CounterAnchor: {
      const dc = r.id('dc');
      const tn = r.id('tn');
      const nonce = r.bytes(NONCE_BYTES, 'nonce');
      const counter = r.u32('counter');
      return { cls, dc, tn, nonce, counter, ...signature(r) };
    }
    case MessageClass.TnEnrolment:
      return {
        cls,
        tn: r.id('tn'),
        hesCert: r.blob16('hesCert'),
        dcCert: r.blob16('dcCert'),
        ack: r.blob16('ack'),
        anchor: r.blob16('anchor'),
      };
    default:
      return undefined;
  }
}
