import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { NodeId } from '../../core/transport';
import { certificateSpki } from './x509';

/**
 * Checks the certificate a TLS peer presented, once its handshake is done. Needed on the HES:
 * a server TLSSocket made on a raw duplex (no tls.Server behind it) completes the handshake with
 * any client certificate and never looks at OpenSSL's verification result, whatever
 * rejectUnauthorized says. So the HES asks for that result itself (the call tls.Server makes) and
 * checks again with the public X509Certificate API: issued by the run's root, valid now, meant for
 * TLS clients, naming the TN whose address the channel uses and, once the TN was replaced, the
 * very certificate of the unit installed last (no revocation lists: the old unit's certificate is
 * still valid, it is just no longer the one the operator registered for that TN).
 */
export type CertificateRefusal =
  'no-certificate' | 'untrusted-certificate' | 'certificate-expired' | 'wrong-identity' | 'wrong-usage' | 'not-expected';

export type CertificateVerdict =
  { readonly ok: true } | { readonly ok: false; readonly reason: CertificateRefusal; readonly detail: string };

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EXPIRY_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

interface VerifyingHandle {
  verifyError?: () => (Error & { code?: string }) | null | undefined;
}

function opensslVerdict(socket: TLSSocket): CertificateVerdict | undefined {
  const handle = (socket as unknown as { _handle?: VerifyingHandle })._handle;
  const error = handle?.verifyError?.();
  if (!error) return undefined;
  const code = error.code ?? error.message;
  return { ok: false, reason: EXPIRY_CODES.has(code) ? 'certificate-expired' : 'untrusted-certificate', detail: `OpenSSL: ${code}` };
}

/** Subject CN values of a certificate (node prints the subject one attribute per line). */
export function commonNames(cert: X509Certificate): string[] {
  return cert.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
}

/**
 * The checks OpenSSL makes of a one-level chain, made with the public X509Certificate API: issued
 * and signed by the run's root, valid now, meant for `usage`, naming `expected` (the one CN).
 */
function checkCertificate(cert: X509Certificate, expected: NodeId, root: X509Certificate, now: Date, usage: string): CertificateVerdict {
  if (!cert.checkIssued(root) || !cert.verify(root.publicKey))
    return { ok: false, reason: 'untrusted-certificate', detail: `issuer "${cert.issuer.replace(/\n/g, ', ')}" is not the run's root` };
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo))
    return { ok: false, reason: 'certificate-expired', detail: `valid ${cert.validFrom} to ${cert.validTo}` };
  if (!(cert.keyUsage ?? []).includes(usage))
    return {
      ok: false,
      reason: 'wrong-usage',
      detail: `certificate is not for TLS ${usage === CLIENT_AUTH ? 'client' : 'server'} authentication`,
    };
  const names = commonNames(cert);
  if (names.length !== 1 || names[0] !== expected)
    return { ok: false, reason: 'wrong-identity', detail: `certificate names "${names.join(',')}", expected ${expected}` };
  return { ok: true };
}

/**
 * `cert`: the socket's getPeerX509Certificate(), taken once by the caller, which keeps its key
 * (each call parses a new copy in OpenSSL's memory, freed only when V8 collects it). `unit`: the
 * DER of the certificate of the TN's current unit, where it was replaced; any certificate
 * otherwise. `rootInStore`: the HES's context trusts the root, so OpenSSL's own verdict counts
 * too; without it (chains sent without the root, tls-profile.ts) OpenSSL cannot verify anything
 * and only these checks decide.
 */
export function verifyClientCertificate(
  socket: TLSSocket,
  cert: X509Certificate | undefined,
  expected: NodeId,
  root: X509Certificate,
  now: Date,
  unit?: Uint8Array,
  rootInStore = true,
): CertificateVerdict {
  if (!cert) return { ok: false, reason: 'no-certificate', detail: 'the client sent no certificate' };
  const openssl = rootInStore ? opensslVerdict(socket) : undefined;
  if (openssl) return openssl;
  const verdict = checkCertificate(cert, expected, root, now, CLIENT_AUTH);
  if (!verdict.ok) return verdict;
  if (unit && !Buffer.from(unit).equals(cert.raw))
    return { ok: false, reason: 'not-expected', detail: `certificate of a unit of ${expected} that was replaced` };
  return { ok: true };
}

/**
 * The TN's check of the HES's certificate where its context does not trust the root (chains
 * sent without it): what OpenSSL and checkServerIdentity check otherwise. Node's TLS client checks
 * only once the handshake is done, so the TN gives up at the same point either way. `cert` is the
 * socket's getPeerX509Certificate(), taken once: on a client socket node takes it out of the
 * peer's chain, so a second call yields the next certificate of the chain, or none.
 */
export function verifyServerCertificate(
  cert: X509Certificate | undefined,
  expected: NodeId,
  root: X509Certificate,
  now: Date,
): CertificateVerdict {
  if (!cert) return { ok: false, reason: 'no-certificate', detail: 'the server sent no certificate' };
  return checkCertificate(cert, expected, root, now, SERVER_AUTH);
}

/**
 * The public key (SPKI DER) of the certificate a TLS peer authenticated with: what its messages on
 * the channel count under for the goal oracle, as a lean message counts under its signer's key.
 * Empty when the peer presented none (a channel the node refuses anyway).
 */
export function peerKeyOf(socket: TLSSocket): Uint8Array {
  return certificateKey(socket.getPeerX509Certificate());
}

/** peerKeyOf for a peer certificate the caller already took from its socket. */
export function certificateKey(cert: X509Certificate | undefined): Uint8Array {
  return cert ? certificateSpki(cert) : new Uint8Array(0);
}
