import { createHash, randomBytes, sign, type KeyObject, type X509Certificate } from 'node:crypto';
import * as der from './der';

/**
 * Builds and signs X.509 v3 certificates with node:crypto (ECDSA with SHA-256 on the issuer's
 * curve). Only what a TLS 1.2 mutual-authentication PKI needs: CN and O, validity, basic
 * constraints, key usage, extended key usage, subject alternative names and key identifiers.
 */
const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const KEY_USAGE_BIT = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

export type CertificateRole = 'ca' | 'server' | 'client';

export interface CertificateRequest {
  readonly subject: string;
  readonly organization: string;
  readonly subjectKey: KeyObject;
  readonly role: CertificateRole;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DNS names for subjectAltName; the subject CN is always included. */
  readonly altNames?: readonly string[];
}

export interface Issuer {
  readonly subject: string;
  readonly organization: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const algorithm = (): Uint8Array => der.sequence(der.oid(OID.ecdsaWithSha256));

const name = (cn: string, org: string): Uint8Array =>
  der.sequence(
    der.set(der.sequence(der.oid(OID.organization), der.utf8String(org))),
    der.set(der.sequence(der.oid(OID.commonName), der.utf8String(cn))),
  );

const extension = (id: string, critical: boolean, value: Uint8Array): Uint8Array =>
  critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value));

/**
 * OpenSSL 3 takes about 0.2 ms to encode a key: issuing a certificate asked for the issuer's (the
 * root's) each time, and every TN for the manufacturer's. A key's encoding never changes, so each
 * is made once. Callers must not alter the bytes.
 */
const encodedKeys = new WeakMap<KeyObject, Uint8Array>();

export function spkiDer(key: KeyObject): Uint8Array {
  let spki = encodedKeys.get(key);
  if (!spki) encodedKeys.set(key, (spki = new Uint8Array(key.export({ type: 'spki', format: 'der' }))));
  return spki;
}

/**
 * The SubjectPublicKeyInfo of a certificate, as it is in its DER (RFC 5280 4.1: the seventh
 * element of tbsCertificate, the sixth when the version is left out): the bytes spkiDer gives for
 * its key, without making a KeyObject (about 0.2 ms of OpenSSL's time per handshake, and a native
 * copy of the key until V8 collects it).
 */
export function certificateSpki(cert: X509Certificate): Uint8Array {
  const bytes = new Uint8Array(cert.raw);
  const tbs = der.readElement(bytes, der.readElement(bytes, 0).contentStart);
  let at = tbs.contentStart;
  if (bytes[at] === 0xa0) at = der.readElement(bytes, at).end; // [0] version
  for (let i = 0; i < 5; i++) at = der.readElement(bytes, at).end; // serial, signature, issuer, validity, subject
  const spki = der.readElement(bytes, at);
  return bytes.slice(spki.start, spki.end);
}

/** Bytes of an uncompressed point on a 256-bit curve: 0x04, x, y. */
const POINT_BYTES = 65;

/**
 * RFC 5280 method 1: SHA-1 of the subjectPublicKey bits, which on both supported curves are the
 * SPKI's trailing uncompressed point.
 */
export function keyIdentifier(key: KeyObject): Uint8Array {
  const spki = spkiDer(key);
  return new Uint8Array(
    createHash('sha1')
      .update(spki.subarray(spki.length - POINT_BYTES))
      .digest(),
  );
}

function extensions(req: CertificateRequest, issuer: Issuer): Uint8Array {
  const list: Uint8Array[] = [];
  if (req.role === 'ca') {
    list.push(extension(OID.basicConstraints, true, der.sequence(der.boolean(true))));
    list.push(extension(OID.keyUsage, true, der.namedBits([KEY_USAGE_BIT.keyCertSign, KEY_USAGE_BIT.cRLSign])));
  } else {
    list.push(extension(OID.basicConstraints, true, der.sequence()));
    list.push(extension(OID.keyUsage, true, der.namedBits([KEY_USAGE_BIT.digitalSignature])));
    list.push(extension(OID.extKeyUsage, false, der.sequence(der.oid(req.role === 'server' ? OID.serverAuth : OID.clientAuth))));
    const names = [req.subject, ...(req.altNames ?? []).filter((n) => n !== req.subject)];
    list.push(
      extension(OID.subjectAltName, false, der.sequence(...names.map((n) => der.implicitPrimitive(2, new TextEncoder().encode(n))))),
    );
  }
  list.push(extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(req.subjectKey))));
  list.push(extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, keyIdentifier(issuer.publicKey)))));
  return der.explicit(3, der.sequence(...list));
}

/** DER bytes of a certificate for `req`, signed by `issuer` (self-signed when they are the same key). */
export function issueCertificate(req: CertificateRequest, issuer: Issuer): Uint8Array {
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial),
    algorithm(),
    name(issuer.subject, issuer.organization),
    der.sequence(der.time(req.notBefore), der.time(req.notAfter)),
    name(req.subject, req.organization),
    spkiDer(req.subjectKey),
    extensions(req, issuer),
  );
  const signature = sign('sha256', tbs, issuer.privateKey);
  return der.sequence(tbs, algorithm(), der.bitString(new Uint8Array(signature)));
}

export function toPem(derBytes: Uint8Array): string {
  const b64 = Buffer.from(derBytes).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
