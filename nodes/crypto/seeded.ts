/**
 * A RandomSource seeded from the run's seed, so that the bench's own keys, ephemeral keys and
 * nonces are the same in every run of a scenario: SHA-256 in counter mode over a key derived from
 * the seed and a label (the mode and the role), a deterministic generator in the manner of
 * NIST SP 800-90A's Hash_DRBG without reseeding. Its output is as unpredictable as the seed is:
 * a bench seed is public, so these keys protect nothing outside the bench; they are for a run
 * that must repeat byte for byte (docs/DESIGN.md section 4: deterministic for a seed).
 */
import { createHash } from 'node:crypto';
import type { RandomSource } from './backend';

export function seededRandomSource(seed: string | number, label: string): RandomSource {
  const key = createHash('sha256')
    .update(`gridbench/v1 seeded randomness\u0000${String(seed)}\u0000${label}`)
    .digest();
  let counter = 0;
  let pool = new Uint8Array(0);
  let used = 0;
  const counterBytes = Buffer.alloc(8);
  return (n) => {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (used === pool.length) {
        counterBytes.writeBigUInt64BE(BigInt(counter++));
        pool = createHash('sha256').update(key).update(counterBytes).digest();
        used = 0;
      }
      const take = Math.min(n - filled, pool.length - used);
      out.set(pool.subarray(used, used + take), filled);
      filled += take;
      used += take;
    }
    return out;
  };
}
