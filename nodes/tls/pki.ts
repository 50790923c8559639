import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { NodeId } from '../runtime/transport';
import { issueCertificate, toPem, type CertificateRole, type Issuer } from './x509';

/**
 * The per-run PKI of smgw-tls mode: a root CA (the manufacturer / PKI operator), the HES server
 * certificate, and one client certificate per TN, all on one curve. Generating 100 TN credentials
 * takes well under a second (one EC key pair and one signature each).
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

/**
 * What a PKI is made of, as it is saved in a state directory and loaded back by every process of
 * a distributed bench (pki-store.ts): the root certificate and key, and the credentials issued.
 */
export interface PkiMaterial {
  readonly curve: TlsCurve;
  readonly organization: string;
  readonly rootPem: string;
  readonly rootKeyPem: string;
  readonly hes: Credential;
  readonly tns: readonly Credential[];
  /** Validity of the certificates this PKI issues from now on. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export class Pki {
  readonly curve: TlsCurve;
  readonly organization: string;
  readonly rootPem: string;
  readonly hes: Credential;
  private readonly root: Issuer;
  private readonly tnCredentials = new Map<NodeId, Credential>();
  private readonly notBefore: Date;
  private readonly notAfter: Date;

  constructor(options: PkiOptions);
  /** A PKI made before, loaded back (see material()). */
  constructor(material: PkiMaterial);
  constructor(from: PkiOptions | PkiMaterial) {
    this.curve = from.curve ?? 'P-256';
    if (!(this.curve in OPENSSL_CURVE)) throw new PkiError(`pki: curve "${String(this.curve)}" is not P-256 or brainpoolP256r1`);
    this.organization = from.organization ?? 'gridbench PKI';
    const subject = `${this.organization} root`;
    if ('rootPem' in from) {
      this.notBefore = from.notBefore;
      this.notAfter = from.notAfter;
      const privateKey = createPrivateKey(from.rootKeyPem);
      this.root = { subject, organization: this.organization, privateKey, publicKey: createPublicKey(privateKey) };
      this.rootPem = from.rootPem;
      this.hes = from.hes;
      for (const tn of from.tns) this.tnCredentials.set(tn.id, tn);
      return;
    }
    this.notBefore = from.notBefore ?? new Date(Date.now() - DAY_MS);
    this.notAfter = new Date(this.notBefore.getTime() + (from.validityDays ?? 3650) * DAY_MS);
    const rootKeys = this.keyPair();
    this.root = { subject, organization: this.organization, ...rootKeys };
    this.rootPem = toPem(
      issueCertificate(
        { subject: this.root.subject, organization: this.organization, subjectKey: rootKeys.publicKey, role: 'ca', notBefore: this.notBefore, notAfter: this.notAfter },
        this.root,
      ),
    );
    this.hes = this.issue(from.hes, { role: 'server' });
    for (const tn of from.tns) this.tnCredentials.set(tn, this.issue(tn));
  }

  /** The credential of a TN enrolled when the PKI was made. */
  tn(id: NodeId): Credential {
    const credential = this.tnCredentials.get(id);
    if (!credential) throw new PkiError(`pki: no certificate for TN "${id}"`);
    return credential;
  }

  /** Whether a TN was enrolled (has a credential of its own). */
  hasTn(id: NodeId): boolean {
    return this.tnCredentials.has(id);
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
      notBefore: this.notBefore,
      notAfter: this.notAfter,
    };
  }

  /** A fresh key pair and certificate from this PKI's root (tests issue expired ones with it). */
  issue(id: NodeId, options: IssueOptions = {}): Credential {
    const keys = this.keyPair();
    const certDer = issueCertificate(
      {
        subject: id,
        organization: this.organization,
        subjectKey: keys.publicKey,
        role: options.role ?? 'client',
        notBefore: options.notBefore ?? this.notBefore,
        notAfter: options.notAfter ?? this.notAfter,
      },
      this.root,
    );
    return {
      id,
      certDer,
      certPem: toPem(certDer),
      keyPem: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }

  /** The root's private key signs firmware manifests too: it plays the manufacturer. */
  get manufacturerKey(): KeyObject {
    return this.root.privateKey;
  }

  get manufacturerPublicKey(): KeyObject {
    return this.root.publicKey;
  }

  private keyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
    return generateKeyPairSync('ec', { namedCurve: OPENSSL_CURVE[this.curve] });
  }
}

export const createPki = (options: PkiOptions): Pki => new Pki(options);
