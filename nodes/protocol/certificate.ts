/**
 * Compact certificates (no X.509: a PLC frame is 239 bytes):
 *
 *   [version u8][0x30][role u8][issuer id][subject id][signKey 33][encKey 33] | signature 64
 *
 * The manufacturer is the offline root: its public key is preinstalled in every node and it signs
 * the HES certificate; the HES signs DC certificates. No expiry and no revocation lists (docs/DESIGN.md
 * 2.1): a failed node is deactivated and its replacement registers anew.
 */
import { boundary, ByteReader, ByteWriter, DecodeFailure } from './bytes';
import { MessageClass, WIRE_VERSION } from './message-class';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './frame-fields';
import { reject, type Result } from './rejection';
import type { CryptoBackend } from '../crypto/backend';

export enum CertRole {
  Hes = 1,
  Dc = 2,
}

export interface Certificate {
  readonly role: CertRole;
  readonly issuer: string;
  readonly subject: string;
  readonly signKey: Uint8Array;
  readonly encKey: Uint8Array;
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
  /** The encoded certificate as received or issued. */
  readonly bytes: Uint8Array;
}

export type CertificateFields = Pick<Certificate, 'role' | 'issuer' | 'subject' | 'signKey' | 'encKey'>;

export function issueCertificate(fields: CertificateFields, issuerSecretKey: Uint8Array, crypto: CryptoBackend): Certificate {
  const signed = new ByteWriter()
    .u8(WIRE_VERSION)
    .u8(MessageClass.Certificate)
    .u8(fields.role)
    .id(fields.issuer)
    .id(fields.subject)
    .bytes(fields.signKey)
    .bytes(fields.encKey)
    .finish();
  const signature = crypto.sign(signed, issuerSecretKey);
  const bytes = new ByteWriter(signed.length + signature.length).bytes(signed).bytes(signature).finish();
  return { ...fields, signed, signature, bytes };
}

export function decodeCertificate(bytes: Uint8Array): Result<Certificate> {
  return boundary('certificate', () => {
    const r = new ByteReader(bytes);
    if (r.u8('version') !== WIRE_VERSION) throw new DecodeFailure('bad-version', 'certificate: unknown version');
    if (r.u8('class') !== MessageClass.Certificate) throw new DecodeFailure('bad-field', 'certificate: not a certificate');
    const role = r.u8('role');
    if (role !== CertRole.Hes && role !== CertRole.Dc) throw new DecodeFailure('bad-field', `certificate: unknown role ${role}`);
    const issuer = r.id('issuer');
    const subject = r.id('subject');
    const signKey = r.bytes(PUBLIC_KEY_BYTES, 'signKey');
    const encKey = r.bytes(PUBLIC_KEY_BYTES, 'encKey');
    const signed = r.slice(0);
    const signature = r.bytes(SIGNATURE_BYTES, 'signature');
    r.end('certificate');
    return { role, issuer, subject, signKey, encKey, signed, signature, bytes };
  });
}

export interface Expectation {
  readonly role: CertRole;
  readonly issuer: string;
  readonly subject: string;
  /** Public signing key of the issuer, trusted already. */
  readonly issuerKey: Uint8Array;
}

/**
 * Decodes a certificate and checks it is exactly the one expected: role, issuer and subject
 * names, and the issuer's signature. Any mismatch is 'untrusted-certificate'.
 */
export function verifyCertificate(bytes: Uint8Array, expect: Expectation, crypto: CryptoBackend): Result<Certificate> {
  const decoded = decodeCertificate(bytes);
  if (!decoded.ok) return reject('untrusted-certificate', decoded.detail);
  const cert = decoded.value;
  if (cert.role !== expect.role) return reject('untrusted-certificate', `certificate role ${cert.role}, expected ${expect.role}`);
  if (cert.issuer !== expect.issuer)
    return reject('untrusted-certificate', `certificate issuer "${cert.issuer}", expected "${expect.issuer}"`);
  if (cert.subject !== expect.subject)
    return reject('untrusted-certificate', `certificate subject "${cert.subject}", expected "${expect.subject}"`);
  if (!crypto.verify(cert.signature, cert.signed, expect.issuerKey))
    return reject('untrusted-certificate', `certificate of "${cert.subject}" not signed by "${expect.issuer}"`);
  return { ok: true, value: cert };
}
