import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { NodeId } from '../runtime/transport';
import { getJson, putJson, type NodeStore } from '../store/node-store';
import { OPENSSL_CURVE, Pki, PkiError, type Credential, type TlsCurve } from './pki';

/**
 * The smgw-tls PKI of a distributed bench, kept in a node store (a directory of the shared state):
 * made once by provisioning, then loaded by every process, so the HES and the TNs in other
 * processes trust the same root. Records:
 *
 *   pki.json             curve, organization, validity of what the root issues, the HES's id
 *   root-cert.pem        the root (CA) certificate
 *   root-key.pem         its private key (secret: it also signs firmware, as the manufacturer)
 *   <node>-cert.pem      the HES's and each TN's certificate
 *   <node>-key.pem       their private keys (secret)
 *
 * Secret records are written with mode 0600 (FileNodeStore).
 */
interface PkiManifest {
  readonly curve: TlsCurve;
  readonly organization: string;
  readonly hes: NodeId;
  readonly notBefore: string;
  readonly notAfter: string;
}

const MANIFEST = 'pki.json';
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Writes the whole PKI: the manifest, the root and every credential it holds. */
export function savePki(pki: Pki, store: NodeStore): void {
  const material = pki.material();
  store.put('root-cert.pem', encoder.encode(material.rootPem));
  store.put('root-key.pem', encoder.encode(material.rootKeyPem), { secret: true });
  for (const credential of [material.hes, ...material.tns]) saveCredential(store, credential);
  // the manifest last: a directory with a manifest has everything the manifest speaks of
  const manifest: PkiManifest = {
    curve: material.curve,
    organization: material.organization,
    hes: material.hes.id,
    notBefore: material.notBefore.toISOString(),
    notAfter: material.notAfter.toISOString(),
  };
  putJson(store, MANIFEST, manifest);
}

/** Writes one credential (a TN enrolled after the PKI was saved). */
export function saveCredential(store: NodeStore, credential: Credential): void {
  store.put(`${credential.id}-cert.pem`, encoder.encode(credential.certPem));
  store.put(`${credential.id}-key.pem`, encoder.encode(credential.keyPem), { secret: true });
}

/** Whether the store holds a saved PKI. */
export const hasPki = (store: NodeStore): boolean => store.get(MANIFEST) !== undefined;

/** Whether the store holds a node's credential (certificate and key). */
export const hasCredential = (store: NodeStore, id: NodeId): boolean =>
  store.get(`${id}-cert.pem`) !== undefined && store.get(`${id}-key.pem`) !== undefined;

/**
 * Loads the PKI with the HES's credential and those of `tns` (a process needs only its own TNs').
 * `where` names the store in errors. Every credential must name its node and match its key.
 */
export function loadPki(store: NodeStore, tns: readonly NodeId[], where: string): Pki {
  const manifest = getJson<PkiManifest>(store, MANIFEST);
  if (!manifest) throw new PkiError(`${where}: no ${MANIFEST}: not a provisioned smgw-tls PKI (run gridbench provision)`);
  if (!(manifest.curve in OPENSSL_CURVE)) throw new PkiError(`${where}/${MANIFEST}: curve "${String(manifest.curve)}" is not P-256 or brainpoolP256r1`);
  if (typeof manifest.hes !== 'string' || typeof manifest.organization !== 'string')
    throw new PkiError(`${where}/${MANIFEST}: hes and organization must be strings`);
  const notBefore = date(manifest.notBefore, `${where}/${MANIFEST}: notBefore`);
  const notAfter = date(manifest.notAfter, `${where}/${MANIFEST}: notAfter`);
  return new Pki({
    curve: manifest.curve,
    organization: manifest.organization,
    rootPem: text(store, 'root-cert.pem', where),
    rootKeyPem: text(store, 'root-key.pem', where),
    hes: loadCredential(store, manifest.hes, where),
    tns: tns.map((tn) => loadCredential(store, tn, where)),
    notBefore,
    notAfter,
  });
}

function loadCredential(store: NodeStore, id: NodeId, where: string): Credential {
  const certPem = text(store, `${id}-cert.pem`, where);
  const keyPem = text(store, `${id}-key.pem`, where);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new PkiError(`${where}/${id}-cert.pem: not a certificate (${(err as Error).message})`);
  }
  if (!cert.subject.split('\n').includes(`CN=${id}`)) throw new PkiError(`${where}/${id}-cert.pem: names "${cert.subject.replace(/\n/g, ', ')}", not ${id}`);
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new PkiError(`${where}/${id}-key.pem: not a private key (${(err as Error).message})`);
  }
  if (!matches) throw new PkiError(`${where}/${id}-key.pem: does not belong to ${id}-cert.pem`);
  return { id, certPem, certDer: new Uint8Array(cert.raw), keyPem };
}

function text(store: NodeStore, record: string, where: string): string {
  const bytes = store.get(record);
  if (!bytes) throw new PkiError(`${where}/${record}: missing (provision the state directory again with this scenario)`);
  return decoder.decode(bytes);
}

function date(value: unknown, what: string): Date {
  const d = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new PkiError(`${what}: "${String(value)}" is not an ISO date`);
  return d;
}
