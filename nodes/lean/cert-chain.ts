/**
 * The certificate chain a DC and each of its TNs hold: manufacturer -> HES -> the DC. Both check it
 * the same way at enrolment and keep it in their store, so a restarted node need not enrol again.
 */
import { type CryptoBackend } from '../crypto/backend';
import { fromHex, toHex } from '../../core/bytes';
import { CertRole, decodeCertificate, verifyCertificate, type Certificate } from '../protocol/certificate';
import type { Result } from '../protocol/rejection';
import type { NodeId } from '../../core/transport';
import { getJson, putJson, type NodeStore } from '../store/node-store';
import { MANUFACTURER_ID } from '../oracle/goal-oracle';

export interface DcChain {
  readonly hesCert: Certificate;
  readonly dcCert: Certificate;
}

/** The chain as it travels in an enrolment and is stored. */
export interface DcChainBytes {
  readonly hesCert: Uint8Array;
  readonly dcCert: Uint8Array;
}

const RECORD = 'certs';

/** Verifies that the manufacturer certified `hes` and `hes` certified `dc`. */
export function verifyDcChain(
  chain: DcChainBytes,
  names: { readonly hes: NodeId; readonly dc: NodeId },
  manufacturerKey: Uint8Array,
  crypto: CryptoBackend,
): Result<DcChain> {
  const hesCert = verifyCertificate(
    chain.hesCert,
    { role: CertRole.Hes, issuer: MANUFACTURER_ID, subject: names.hes, issuerKey: manufacturerKey },
    crypto,
  );
  if (!hesCert.ok) return hesCert;
  const dcCert = verifyCertificate(
    chain.dcCert,
    { role: CertRole.Dc, issuer: names.hes, subject: names.dc, issuerKey: hesCert.value.signKey },
    crypto,
  );
  if (!dcCert.ok) return dcCert;
  return { ok: true, value: { hesCert: hesCert.value, dcCert: dcCert.value } };
}

export function loadDcChain(store: NodeStore): DcChainBytes | undefined {
  const stored = getJson<{ hesCert: string; dcCert: string } | null>(store, RECORD);
  return stored ? { hesCert: fromHex(stored.hesCert), dcCert: fromHex(stored.dcCert) } : undefined;
}

/** Saves the chain, or forgets it (null) when the node is to enrol again. */
export function saveDcChain(store: NodeStore, chain: DcChainBytes | null): void {
  putJson(store, RECORD, chain && { hesCert: toHex(chain.hesCert), dcCert: toHex(chain.dcCert) });
}

/**
 * One decoded copy of each certificate a mode's TNs hold: the thousand TNs of a segment hold the
 * same HES and DC certificates, decoded from each TN's own enrolment frame (a million TNs,
 * issue 13). Each TN still verifies its chain; only then is its copy swapped for the shared one,
 * which is the same bytes decoded from a copy of its own (not a view into a received frame).
 */
export class CertificateCache {
  private readonly byBytes = new Map<string, Certificate>();

  shared(cert: Certificate): Certificate {
    const key = toHex(cert.bytes);
    let copy = this.byBytes.get(key);
    if (!copy) {
      const decoded = decodeCertificate(cert.bytes.slice());
      if (!decoded.ok) return cert;
      this.byBytes.set(key, (copy = decoded.value));
    }
    return copy;
  }
}
