import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { OPENSSL_CURVE, type Credential, type Pki } from './pki';

/**
 * The one TLS profile of smgw-tls mode (BSI TR-03109-3 style): TLS 1.2 only, mutual certificate
 * authentication, ECDHE-ECDSA with AES-128-GCM and SHA-256, ECDHE and certificates on the PKI's
 * curve. Both sides list only that curve, which is what lets brainpoolP256r1 work in TLS 1.2.
 */
export const TLS_CIPHER = 'ECDHE-ECDSA-AES128-GCM-SHA256';
export const TLS_VERSION = 'TLSv1.2';
const SIGALGS = 'ECDSA+SHA256';

/**
 * OpenSSL refuses to resume a session whose peer was verified unless the server set a session id
 * context; a tls.Server would set one, a bare server TLSSocket does not.
 */
const SESSION_ID_CONTEXT = 'gridbench-smgw-tls';

/**
 * What a node's Certificate message carries. OpenSSL builds the chain it sends from the context's
 * trust store, so with the root there (`ca`) every Certificate message carries the self-signed root
 * too, about 465 bytes the peer already trusts. By default (TlsModeOptions.chainWithRoot false) the
 * context holds no root: each side sends its own certificate only, the HES's CertificateRequest
 * names no CA, and since OpenSSL then cannot verify the peer, the nodes check it themselves with
 * the same checks (peer-verification.ts).
 */
export interface ChainChoice {
  readonly withRoot: boolean;
}

function context(pki: Pki, own: Credential, tickets: boolean, chain: ChainChoice): SecureContext {
  return createSecureContext({
    sessionIdContext: SESSION_ID_CONTEXT,
    ...(tickets ? {} : { secureOptions: constants.SSL_OP_NO_TICKET }),
    key: own.keyPem,
    cert: own.certPem,
    ...(chain.withRoot ? { ca: pki.rootPem } : {}),
    ciphers: TLS_CIPHER,
    ecdhCurve: OPENSSL_CURVE[pki.curve],
    sigalgs: SIGALGS,
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
  });
}

/**
 * The HES side, one context for every channel. The lifetime policy forbids resuming a session, so
 * the HES issues no session tickets: a ticket (which holds the client certificate) would add
 * about 700 bytes to every full handshake for nothing. `tickets` makes the context that the one
 * measurement of an abbreviated handshake uses.
 */
export const hesContext = (pki: Pki, chain: ChainChoice, tickets = false, credential: Credential = pki.hesCredential()): SecureContext =>
  context(pki, credential, tickets, chain);

/** A TN side; a TN may hold a credential the PKI did not issue to it (attack tests do). */
export const tnContext = (pki: Pki, credential: Credential, chain: ChainChoice): SecureContext => context(pki, credential, true, chain);
