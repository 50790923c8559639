import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commonNames } from '../../nodes/smgw-tls/peer-verification';
import { createPki, PkiError } from '../../nodes/smgw-tls/pki';
import { certificateSpki } from '../../nodes/smgw-tls/x509';

const tns = Array.from({ length: 120 }, (_, i) => `tn1.${String(i + 1).padStart(3, '0')}`);

describe.each(['P-256', 'brainpoolP256r1'] as const)('per-run PKI on %s', (curve) => {
  const pki = createPki({ curve, hes: 'hes', tns });
  const root = new X509Certificate(pki.rootPem);

  it('makes a self-signed CA root', () => {
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe(curve === 'P-256' ? 'prime256v1' : 'brainpoolP256r1');
  });

  it('issues the HES a server certificate and every TN a client certificate naming it, all signed by the root', () => {
    const hes = new X509Certificate(pki.hes.certPem);
    expect(commonNames(hes)).toEqual(['hes']);
    expect(hes.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(hes.checkIssued(root) && hes.verify(root.publicKey)).toBe(true);
    for (const tn of tns) {
      const cert = new X509Certificate(pki.tn(tn).certPem);
      expect(commonNames(cert)).toEqual([tn]);
      expect(cert.subjectAltName).toBe(`DNS:${tn}`);
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(cert.ca).toBe(false);
      expect(cert.verify(root.publicKey)).toBe(true);
    }
  });

  it('gives each TN its own key', () => {
    const keys = new Set(
      tns.map((tn) => new X509Certificate(pki.tn(tn).certPem).publicKey.export({ type: 'spki', format: 'der' }).toString('hex')),
    );
    expect(keys.size).toBe(tns.length);
  });

  it("reads a certificate's public key from its DER, the bytes OpenSSL encodes for the key (the key a peer's messages count under)", () => {
    for (const pem of [pki.rootPem, pki.hes.certPem, ...tns.slice(0, 5).map((tn) => pki.tn(tn).certPem)]) {
      const cert = new X509Certificate(pem);
      expect(Buffer.from(certificateSpki(cert)).toString('hex')).toBe(
        cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
      );
    }
    expect(Buffer.from(certificateSpki(root)).equals(Buffer.from(certificateSpki(new X509Certificate(pki.hes.certPem))))).toBe(false);
  });

  it('issues certificates with the validity asked for', () => {
    const expired = pki.issue('tn1.001', { notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    const cert = new X509Certificate(expired.certPem);
    expect(new Date(cert.validTo).toISOString()).toBe('2021-01-01T00:00:00.000Z');
    expect(cert.verify(root.publicKey)).toBe(true);
  });
});

describe('PKI input checks', () => {
  it('names a TN it has no certificate for', () => {
    const pki = createPki({ hes: 'hes', tns: ['tn1.001'] });
    expect(() => pki.tn('tn9.999')).toThrow(PkiError);
    expect(() => pki.tn('tn9.999')).toThrow(/tn9\.999/);
  });

  it('refuses an unknown curve by name', () => {
    expect(() => createPki({ hes: 'hes', tns: [], curve: 'secp384r1' as never })).toThrow(/curve "secp384r1"/);
  });

  it('two PKIs do not trust each other', () => {
    const a = createPki({ hes: 'hes', tns: ['tn1.001'] });
    const b = createPki({ hes: 'hes', tns: ['tn1.001'] });
    expect(new X509Certificate(b.tn('tn1.001').certPem).verify(new X509Certificate(a.rootPem).publicKey)).toBe(false);
  });
});
