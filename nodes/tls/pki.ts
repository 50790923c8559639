import { generateKeyPairSync, type KeyObject } from 'node:crypto';
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

export class Pki {
  readonly curve: TlsCurve;
  readonly organization: string;
  readonly rootPem: string;
  readonly hes: Credential;
  private readonly root: Issuer;
  private readonly tnCredentials = new Map<NodeId, Credential>();
  private readonly notBefore: Date;
  private readonly notAfter: Date;

  constructor(options: PkiOptions) {
    this.curve = options.curve ?? 'P-256';
    if (!(this.curve in OPENSSL_CURVE)) throw new PkiError(`pki: curve "${String(this.curve)}" is not P-256 or brainpoolP256r1`);
    this.organization = options.organization ?? 'gridbench PKI';
    this.notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
    this.notAfter = new Date(this.notBefore.getTime() + (options.validityDays ?? 3650) * DAY_MS);
    const rootKeys = this.keyPair();
    this.root = { subject: `${this.organization} root`, organization: this.organization, ...rootKeys };
    this.rootPem = toPem(
      issueCertificate(
        { subject: this.root.subject, organization: this.organization, subjectKey: rootKeys.publicKey, role: 'ca', notBefore: this.notBefore, notAfter: this.notAfter },
        this.root,
      ),
    );
    this.hes = this.issue(options.hes, { role: 'server' });
    for (const tn of options.tns) this.tnCredentials.set(tn, this.issue(tn));
  }

  /** The credential of a TN enrolled when the PKI was made. */
  tn(id: NodeId): Credential {
    const credential = this.tnCredentials.get(id);
    if (!credential) throw new PkiError(`pki: no certificate for TN "${id}"`);
    return credential;
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
