import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { NodeId } from '../../core/transport';
import { issueCertificate, toPem, type CertificateRole, type Issuer } from './x509';

/**
 * The PKI of smgw-tls mode: a root CA (the PKI operator), the HES server certificate, one client
 * certificate per TN, all on one curve, and the manufacturer's firmware-signing key (a key of its
 * own, not the root's). Generating 100 TN credentials takes well under a second (one EC key pair
 * and one signature each).
 *
 * Two types say who holds what:
 * - `Pki`: what a running process holds. The root certificate and the manufacturer's public key
 *   (both public) always; the HES's credential and the manufacturer's signing key only where the
 *   HES runs; a TN's credential only where that TN runs; the root's private key never.
 * - `PkiAuthority`: the whole PKI with the root's private key, which issues certificates. It
 *   exists in memory for an in-process run (createPki) and at provisioning of a state directory
 *   (pki-store.ts); a node process of a distributed bench never loads one.
 */
export type TlsCurve = 'P-256' | 'brainpoolP256r1';

/** OpenSSL's names, as node:crypto key generation and the TLS `ecdhCurve` option want them. */
export const OPENSSL_CURVE: Readonly<Record<TlsCurve, string>> = {
  'P-256': 'prime256v1',
  brainpoolP256r1: 'brainpoolP256r1',
};

export interface Credential {
  readonly id: NodeId;
  readonly certPem: string;
  readonly certDer: Uint8Array;
  readonly keyPem: string;
}

export interface PkiOptions {
  readonly curve?: TlsCurve;
  readonly hes: NodeId;
  readonly tns: readonly NodeId[];
  /** Organization name of every certificate; also tells two PKIs apart in tests. */
  readonly organization?: string;
  /**
   * Start of validity. Certificates are checked by OpenSSL against the host's real time (never the
   * virtual clock), so the default is one day before the wall-clock time of creation.
   */
  readonly notBefore?: Date;
  readonly validityDays?: number;
}

export interface IssueOptions {
  readonly role?: Exclude<CertificateRole, 'ca'>;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}

const DAY_MS = 86_400_000;

/** Refuses a curve that is not one of the PKI's; `where` names what gave it. */
export function checkCurve(curve: unknown, where: string): asserts curve is TlsCurve {
  // own keys only: `in` would take Object.prototype's names ("constructor", "toString") for curves
  if (!Object.hasOwn(OPENSSL_CURVE, curve as string))
    throw new PkiError(`${where}: curve "${String(curve)}" is not P-256 or brainpoolP256r1`);
}

/** The parts of a PKI a process holds (see Pki). */
export interface PkiHoldings {
  readonly curve: TlsCurve;
  readonly organization: string;
  /** The root (CA) certificate. */
  readonly rootPem: string;
  /** Who the HES is (its certificate names it). */
  readonly hesId: NodeId;
  /** The HES's credential: only where the HES runs. */
  readonly hes?: Credential;
  /** The credentials of the TNs this process runs. */
  readonly tns: readonly Credential[];
  readonly manufacturerPublicKey: KeyObject;
  /** The manufacturer's firmware-signing key: only where firmware is rolled out (the HES's process). */
  readonly manufacturerKey?: KeyObject;
  /** Where the secrets come from (a state directory), so an error names the record a process does not hold. */
  readonly source?: string;
}

/** Record names of the secrets in a saved PKI (pki-store.ts), for errors that name them. */
export const credentialRecord = (id: NodeId): string => `${id}-key.pem`;
export const MANUFACTURER_KEY_RECORD = 'manufacturer-key.pem';

/**
 * What a process holds of the PKI: the root certificate and the manufacturer's public key always,
 * the secrets of the nodes it runs only. Asking for a secret it does not hold is a PkiError that
 * names the secret (and the record it would come from).
 */
export class Pki {
  readonly curve: TlsCurve;
  readonly organization: string;
  readonly rootPem: string;
  readonly hesId: NodeId;
  /** The HES's credential, private key included; undefined in a process that does not run the HES. */
  readonly hes: Credential | undefined;
  /** Verifies firmware signatures: every TN holds it. */
  readonly manufacturerPublicKey: KeyObject;
  /** Signs firmware; undefined in a process that does not roll firmware out (does not run the HES). */
  readonly manufacturerKey: KeyObject | undefined;
  protected readonly tnCredentials = new Map<NodeId, Credential>();
  private readonly source: string | undefined;

  constructor(holdings: PkiHoldings) {
    checkCurve(holdings.curve, 'pki');
    this.curve = holdings.curve;
    this.organization = holdings.organization;
    this.rootPem = holdings.rootPem;
    this.hesId = holdings.hesId;
    this.hes = holdings.hes;
    if (this.hes && this.hes.id !== this.hesId)
      throw new PkiError(`pki: the HES's credential is "${this.hes.id}"'s, the HES is "${this.hesId}"`);
    this.manufacturerPublicKey = holdings.manufacturerPublicKey;
    this.manufacturerKey = holdings.manufacturerKey;
    this.source = holdings.source;
    for (const tn of holdings.tns) this.tnCredentials.set(tn.id, tn);
  }

  /** The TNs whose credentials this PKI holds. */
  get tnIds(): NodeId[] {
    return [...this.tnCredentials.keys()];
  }

  /** The credential of a TN this PKI holds. */
  tn(id: NodeId): Credential {
    const credential = this.tnCredentials.get(id);
    if (credential) return credential;
    if (this.source === undefined) throw new PkiError(`pki: no certificate for TN "${id}"`);
    throw this.notHeld(credentialRecord(id), `TN "${id}"'s private key`, `only a process that runs ${id} loads it`);
  }

  /** The HES's credential; a PkiError where the HES does not run. */
  hesCredential(): Credential {
    if (this.hes) return this.hes;
    throw this.notHeld(credentialRecord(this.hesId), "the HES's private key", 'only the process that runs the HES loads it');
  }

  /** The manufacturer's firmware-signing key; a PkiError where firmware is not rolled out. */
  firmwareSigningKey(): KeyObject {
    if (this.manufacturerKey) return this.manufacturerKey;
    throw this.notHeld(
      MANUFACTURER_KEY_RECORD,
      "the manufacturer's firmware-signing key",
      "only the HES's process, which rolls firmware out, loads it",
    );
  }

  private notHeld(record: string, what: string, who: string): PkiError {
    return new PkiError(`${this.source ?? 'pki'}/${record}: ${what} is not held by this process (${who})`);
  }
}

/**
 * What a PKI is made of, as provisioning saves it in a state directory and loads it back to
 * complete it (pki-store.ts): the root certificate and key, the credentials issued, the
 * manufacturer's key. Never loaded by a node process.
 */
export interface PkiMaterial {
  readonly curve: TlsCurve;
  readonly organization: string;
  readonly rootPem: string;
  readonly rootKeyPem: string;
  readonly hes: Credential;
  readonly tns: readonly Credential[];
  /** Absent in a state directory provisioned before firmware had its own key: a new one is made. */
  readonly manufacturerKeyPem?: string;
  /** Validity of the certificates this PKI issues from now on. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const keyPair = (curve: TlsCurve): { privateKey: KeyObject; publicKey: KeyObject } =>
  generateKeyPairSync('ec', { namedCurve: OPENSSL_CURVE[curve] });

interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function issueFrom(root: Issuer, curve: TlsCurve, validity: Validity, id: NodeId, options: IssueOptions): Credential {
  const keys = keyPair(curve);
  const certDer = issueCertificate(
    {
      subject: id,
      organization: root.organization,
      subjectKey: keys.publicKey,
      role: options.role ?? 'client',
      notBefore: options.notBefore ?? validity.notBefore,
      notAfter: options.notAfter ?? validity.notAfter,
    },
    root,
  );
  return { id, certDer, certPem: toPem(certDer), keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * The whole PKI, the root's private key included: it issues certificates. Made in memory for an
 * in-process run, or by provisioning; a distributed bench's node processes hold a Pki instead.
 */
export class PkiAuthority extends Pki {
  declare readonly hes: Credential;
  declare readonly manufacturerKey: KeyObject;
  private readonly root: Issuer;
  private readonly validity: Validity;

  private constructor(holdings: PkiHoldings & { hes: Credential; manufacturerKey: KeyObject }, root: Issuer, validity: Validity) {
    super(holdings);
    this.root = root;
    this.validity = validity;
  }

  /** A fresh PKI: root, HES and TN credentials, manufacturer key. */
  static create(options: PkiOptions): PkiAuthority {
    const curve = options.curve ?? 'P-256';
    checkCurve(curve, 'pki');
    const organization = options.organization ?? 'gridbench PKI';
    const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
    const validity = { notBefore, notAfter: new Date(notBefore.getTime() + (options.validityDays ?? 3650) * DAY_MS) };
    const root: Issuer = { subject: `${organization} root`, organization, ...keyPair(curve) };
    const rootPem = toPem(
      issueCertificate({ subject: root.subject, organization, subjectKey: root.publicKey, role: 'ca', ...validity }, root),
    );
    const manufacturer = keyPair(curve);
    return new PkiAuthority(
      {
        curve,
        organization,
        rootPem,
        hesId: options.hes,
        hes: issueFrom(root, curve, validity, options.hes, { role: 'server' }),
        tns: options.tns.map((tn) => issueFrom(root, curve, validity, tn, {})),
        manufacturerPublicKey: manufacturer.publicKey,
        manufacturerKey: manufacturer.privateKey,
      },
      root,
      validity,
    );
  }

  /** A PKI made before, loaded back to be completed (see material()). */
  static load(material: PkiMaterial): PkiAuthority {
    const organization = material.organization;
    const privateKey = createPrivateKey(material.rootKeyPem);
    const root: Issuer = { subject: `${organization} root`, organization, privateKey, publicKey: createPublicKey(privateKey) };
    const manufacturerKey = material.manufacturerKeyPem
      ? createPrivateKey(material.manufacturerKeyPem)
      : keyPair(material.curve).privateKey;
    return new PkiAuthority(
      {
        curve: material.curve,
        organization,
        rootPem: material.rootPem,
        hesId: material.hes.id,
        hes: material.hes,
        tns: material.tns,
        manufacturerPublicKey: createPublicKey(manufacturerKey),
        manufacturerKey,
      },
      root,
      { notBefore: material.notBefore, notAfter: material.notAfter },
    );
  }

  /** Enrols a TN that has no credential yet (a provisioned state directory grown to a larger topology). */
  enrolTn(id: NodeId): Credential {
    if (this.tnCredentials.has(id)) throw new PkiError(`pki: TN "${id}" already has a certificate`);
    const credential = this.issue(id);
    this.tnCredentials.set(id, credential);
    return credential;
  }

  /** Everything needed to load this PKI back, the root's private key included: keep it secret. */
  material(): PkiMaterial {
    return {
      curve: this.curve,
      organization: this.organization,
      rootPem: this.rootPem,
      rootKeyPem: this.root.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      hes: this.hes,
      tns: [...this.tnCredentials.values()],
      manufacturerKeyPem: this.manufacturerKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      notBefore: this.validity.notBefore,
      notAfter: this.validity.notAfter,
    };
  }

  /** A fresh key pair and certificate from this PKI's root (tests issue expired ones with it). */
  issue(id: NodeId, options: IssueOptions = {}): Credential {
    return issueFrom(this.root, this.curve, this.validity, id, options);
  }
}

/** A fresh PKI in memory, root key included (an in-process run, tests, provisioning). */
export const createPki = (options: PkiOptions): PkiAuthority => PkiAuthority.create(options);
