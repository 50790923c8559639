/**
 * Every frame on the wire starts with two bytes: the wire version and the message class. The
 * channel emulator reads the class (and nothing else) to let interceptors match frames by class;
 * it is in the clear because a real PLC sniffer sees it too.
 */
export const WIRE_VERSION = 1;

export enum MessageClass {
  DcCsr = 0x01,
  DcEnrolment = 0x02,
  TnKey = 0x03,
  TnAck = 0x04,
  TnEnrolment = 0x05,
  /** The DC's signed statement of its current counter, inside a TN's enrolment. */
  CounterAnchor = 0x06,
  MeterRequest = 0x10,
  MeterResponse = 0x11,
  Confidential = 0x12,
  Automation = 0x13,
  FirmwareManifest = 0x14,
  FirmwareChunk = 0x15,
  /** smgw-tls mode: TLS bytes of one TN's channel, routed by the DC like a router. */
  TlsRecord = 0x20,
  /** Not a frame class: the first bytes of a certificate, so certs cannot pass for frames. */
  Certificate = 0x30,
}

/** Names as used in metrics tags, matchers and scenario files. */
export const MESSAGE_CLASS_NAMES: Readonly<Record<MessageClass, string>> = {
  [MessageClass.DcCsr]: 'dc-csr',
  [MessageClass.DcEnrolment]: 'dc-enrolment',
  [MessageClass.TnKey]: 'tn-key',
  [MessageClass.TnAck]: 'tn-ack',
  [MessageClass.TnEnrolment]: 'tn-enrolment',
  [MessageClass.CounterAnchor]: 'counter-anchor',
  [MessageClass.MeterRequest]: 'meter-request',
  [MessageClass.MeterResponse]: 'meter-response',
  [MessageClass.Confidential]: 'confidential',
  [MessageClass.Automation]: 'automation',
  [MessageClass.FirmwareManifest]: 'firmware-manifest',
  [MessageClass.FirmwareChunk]: 'firmware-chunk',
  [MessageClass.TlsRecord]: 'tls-record',
  [MessageClass.Certificate]: 'certificate',
};

/** The class name of a frame for matching and metrics, or 'unknown' for anything unparseable. */
export function peekClassName(frame: Uint8Array): string {
  if (frame.length < 2 || frame[0] !== WIRE_VERSION) return 'unknown';
  return MESSAGE_CLASS_NAMES[frame[1] as MessageClass] ?? 'unknown';
}
