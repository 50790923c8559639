/**
 * Counts the crypto operations nodes perform, per role and backend, for the `crypto_ops`
 * measurement: a node's CPU budget is mostly signatures, verifications and ECDH, and what the
 * lean protocol spends there is what it pays instead of TLS sessions.
 */
import type { CryptoOp } from '../compute-profile';
import type { CryptoBackend } from './backend';
import type { Metrics } from '../../core/metrics';

export class CryptoOpCounter {
  private readonly counts = new Map<string, number>();
  private readonly reported = new Map<string, number>();

  /** The backend, counting every operation under the given role. */
  wrap(backend: CryptoBackend, role: string): CryptoBackend {
    // the keys made once per wrap: built on every operation, they were 1 % of a utility-scale run's CPU (issue 13)
    const keys = new Map<CryptoOp, string>();
    const count = (op: CryptoOp) => {
      let key = keys.get(op);
      if (key === undefined) keys.set(op, (key = `${role}\u0000${backend.name}\u0000${op}`));
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    };
    return {
      name: backend.name,
      generateKeyPair: () => backend.generateKeyPair(),
      sha256: (data) => backend.sha256(data),
      randomBytes: (n) => backend.randomBytes(n),
      sign: (message, secretKey) => (count('sign'), backend.sign(message, secretKey)),
      verify: (signature, message, publicKey) => (count('verify'), backend.verify(signature, message, publicKey)),
      seal: (plaintext, key, aad) => (count('encrypt'), backend.seal(plaintext, key, aad)),
      open: (sealed, secretKey, aad) => (count('decrypt'), backend.open(sealed, secretKey, aad)),
    };
  }

  /** Emits one `crypto_ops` sample per role, backend and operation that counted since the last call. */
  report(metrics: Metrics): void {
    for (const [key, total] of this.counts) {
      const delta = total - (this.reported.get(key) ?? 0);
      if (delta === 0) continue;
      this.reported.set(key, total);
      const [role, backend, op] = key.split('\u0000') as [string, string, CryptoOp];
      metrics.emit('crypto_ops', { count: delta }, { role, backend, op });
    }
  }
}
