import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { NodeId } from '../../core/transport';
import { getJson, putJson, type NodeStore } from '../store/node-store';
import { commonNames } from './peer-verification';
import { checkCurve, credentialRecord, MANUFACTURER_KEY_RECORD, Pki, PkiAuthority, PkiError, type Credential, type TlsCurve } from './pki';

/**
 * The smgw-tls PKI of a distributed bench, kept in a node store (a directory of the shared state):
 * made once by provisioning, which issues every certificate up front. A node process then loads
 * only what it may hold (loadPki): the public records, and the secrets of the nodes it runs.
 * Records:
 *
 *   pki.json               curve, organization, validity of what the root issues, the HES's id
 *   root-cert.pem          the root (CA) certificate
 *   root-key.pem           its private key (secret: read by provisioning only, never by a node process)
 *   manufacturer-pub.pem   the manufacturer's public key (TNs check firmware with it)
 *   manufacturer-key.pem   its private key (secret: read by the HES's process, which rolls firmware out)
 *   <node>-cert.pem        the HES's and each TN's certificate
 *   <node>-key.pem         their private keys (secret: read by the process that runs the node)
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
const ROOT_CERT = 'root-cert.pem';
const ROOT_KEY = 'root-key.pem';
const MANUFACTURER_PUB = 'manufacturer-pub.pem';
const certificateRecord = (id: NodeId): string => `${id}-cert.pem`;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** What a node process loads of a saved PKI: the HES's secrets if it runs the HES, and its own TNs'. */
export interface PkiSelection {
  readonly hes: boolean;
  readonly tns: readonly NodeId[];
}

/** Writes the whole PKI: the manifest, the root, the manufacturer's key and every credential it holds. */
export function savePki(pki: PkiAuthority, store: NodeStore): void {
  const material = pki.material();
  store.put(ROOT_CERT, encoder.encode(material.rootPem));
  store.put(ROOT_KEY, encoder.encode(material.rootKeyPem), { secret: true });
  saveManufacturerKey(store, pki);
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
  store.put(certificateRecord(credential.id), encoder.encode(credential.certPem));
  store.put(credentialRecord(credential.id), encoder.encode(credential.keyPem), { secret: true });
}

/** Writes the manufacturer's key pair (a PKI saved before firmware had a key of its own is completed so). */
export function saveManufacturerKey(store: NodeStore, pki: PkiAuthority): void {
  store.put(MANUFACTURER_PUB, encoder.encode(pki.manufacturerPublicKey.export({ type: 'spki', format: 'pem' }).toString()));
  store.put(MANUFACTURER_KEY_RECORD, encoder.encode(pki.manufacturerKey.export({ type: 'pkcs8', format: 'pem' }).toString()), {
    secret: true,
  });
}

/** Whether the store holds a saved PKI. */
export const hasPki = (store: NodeStore): boolean => store.get(MANIFEST) !== undefined;

/** Whether the store holds a node's credential (certificate and key). */
export const hasCredential = (store: NodeStore, id: NodeId): boolean =>
  store.get(certificateRecord(id)) !== undefined && store.get(credentialRecord(id)) !== undefined;

/** Whether the store holds the manufacturer's key pair. */
export const hasManufacturerKey = (store: NodeStore): boolean =>
  store.get(MANUFACTURER_PUB) !== undefined && store.get(MANUFACTURER_KEY_RECORD) !== undefined;

/**
 * Loads what a node process holds of the PKI: the root certificate and the manufacturer's public
 * key; the HES's credential and the manufacturer's signing key if `selection.hes`; the credentials
 * of `selection.tns`. Never reads the root's private key nor any other secret. `where` names the
 * store in errors. Every credential must name its node, match its key and come from the root.
 */
export function loadPki(store: NodeStore, selection: PkiSelection, where: string): Pki {
  const manifest = loadManifest(store, where);
  const rootPem = text(store, ROOT_CERT, where);
  const root = certificate(rootPem, `${where}/${ROOT_CERT}`);
  const manufacturerPublicKey = publicKey(text(store, MANUFACTURER_PUB, where), `${where}/${MANUFACTURER_PUB}`);
  let manufacturerKey: KeyObject | undefined;
  if (selection.hes) {
    manufacturerKey = privateKey(text(store, MANUFACTURER_KEY_RECORD, where), `${where}/${MANUFACTURER_KEY_RECORD}`);
    if (!createPublicKey(manufacturerKey).equals(manufacturerPublicKey))
      throw new PkiError(`${where}/${MANUFACTURER_KEY_RECORD}: does not belong to ${MANUFACTURER_PUB}`);
  }
  return new Pki({
    curve: manifest.curve,
    organization: manifest.organization,
    rootPem,
    hesId: manifest.hes,
    ...(selection.hes ? { hes: loadCredential(store, manifest.hes, root, where) } : {}),
    tns: selection.tns.map((tn) => loadCredential(store, tn, root, where)),
    manufacturerPublicKey,
    ...(manufacturerKey ? { manufacturerKey } : {}),
    source: where,
  });
}

/**
 * Copies into `to` what a node process running `selection` may hold (what loadPki reads), so its
 * host can be given that and nothing else: the manifest, the root certificate and the
 * manufacturer's public key; the HES's credential and the firmware key if `selection.hes`; the
 * credentials of `selection.tns`. Then loads the copy, so a host handed a broken one is refused here.
 */
export function exportPki(from: NodeStore, selection: PkiSelection, to: NodeStore, where: { from: string; to: string }): Pki {
  const manifest = loadManifest(from, where.from);
  const copy = (record: string, secret = false) => to.put(record, encoder.encode(text(from, record, where.from)), { secret });
  copy(ROOT_CERT);
  copy(MANUFACTURER_PUB);
  if (selection.hes) copy(MANUFACTURER_KEY_RECORD, true);
  for (const id of [...(selection.hes ? [manifest.hes] : []), ...selection.tns]) {
    copy(certificateRecord(id));
    copy(credentialRecord(id), true);
  }
  putJson(to, MANIFEST, manifest);
  return loadPki(to, selection, where.to);
}

/**
 * Loads the whole PKI, the root's private key included, to complete it (provisioning only: a node
 * process loads with loadPki). Holds the HES's credential and no TN's; a manufacturer key that is
 * not saved yet is made anew (hasManufacturerKey tells whether to save it).
 */
export function loadPkiAuthority(store: NodeStore, where: string): PkiAuthority {
  const manifest = loadManifest(store, where);
  const rootPem = text(store, ROOT_CERT, where);
  const root = certificate(rootPem, `${where}/${ROOT_CERT}`);
  const rootKeyPem = text(store, ROOT_KEY, where);
  if (!root.checkPrivateKey(privateKey(rootKeyPem, `${where}/${ROOT_KEY}`)))
    throw new PkiError(`${where}/${ROOT_KEY}: does not belong to ${ROOT_CERT}`);
  const manufacturerKeyPem = hasManufacturerKey(store) ? text(store, MANUFACTURER_KEY_RECORD, where) : undefined;
  return PkiAuthority.load({
    curve: manifest.curve,
    organization: manifest.organization,
    rootPem,
    rootKeyPem,
    hes: loadCredential(store, manifest.hes, root, where),
    tns: [],
    ...(manufacturerKeyPem ? { manufacturerKeyPem } : {}),
    notBefore: date(manifest.notBefore, `${where}/${MANIFEST}: notBefore`),
    notAfter: date(manifest.notAfter, `${where}/${MANIFEST}: notAfter`),
  });
}

function loadManifest(store: NodeStore, where: string): PkiManifest {
  const manifest = getJson<PkiManifest>(store, MANIFEST);
  if (!manifest) throw new PkiError(`${where}: no ${MANIFEST}: not a provisioned smgw-tls PKI (run gridbench provision)`);
  checkCurve(manifest.curve, `${where}/${MANIFEST}`);
  if (typeof manifest.hes !== 'string' || typeof manifest.organization !== 'string')
    throw new PkiError(`${where}/${MANIFEST}: hes and organization must be strings`);
  date(manifest.notBefore, `${where}/${MANIFEST}: notBefore`);
  date(manifest.notAfter, `${where}/${MANIFEST}: notAfter`);
  return manifest;
}

function loadCredential(store: NodeStore, id: NodeId, root: X509Certificate, where: string): Credential {
  const certRecord = certificateRecord(id);
  const keyRecord = credentialRecord(id);
  return checkedCredential(id, text(store, certRecord, where), text(store, keyRecord, where), root, {
    cert: `${where}/${certRecord}`,
    key: `${where}/${keyRecord}`,
    root: ROOT_CERT,
    certName: certRecord,
  });
}

/**
 * A credential checked as a node process takes it: the certificate names `id` and was issued by
 * `root`, the key belongs to it. `where` names the certificate, the key and the root in errors
 * (the certificate by `certName` where the key's error names it).
 */
export function checkedCredential(
  id: NodeId,
  certPem: string,
  keyPem: string,
  root: X509Certificate,
  where: { cert: string; key: string; root: string; certName?: string },
): Credential {
  const cert = certificate(certPem, where.cert);
  if (!commonNames(cert).includes(id)) throw new PkiError(`${where.cert}: names "${cert.subject.replace(/\n/g, ', ')}", not ${id}`);
  if (!cert.checkIssued(root) || !cert.verify(root.publicKey)) throw new PkiError(`${where.cert}: not issued by ${where.root}`);
  if (!cert.checkPrivateKey(privateKey(keyPem, where.key)))
    throw new PkiError(`${where.key}: does not belong to ${where.certName ?? where.cert}`);
  return { id, certPem, certDer: new Uint8Array(cert.raw), keyPem };
}

function certificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new PkiError(`${what}: not a certificate (${(err as Error).message})`);
  }
}

function privateKey(pem: string, what: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new PkiError(`${what}: not a private key (${(err as Error).message})`);
  }
}

function publicKey(pem: string, what: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new PkiError(`${what}: not a public key (${(err as Error).message})`);
  }
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
