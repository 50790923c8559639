import type { BackendName, CryptoBackend, RandomSource, RealBackendName } from './backend';
import { createIdealBackend, idealBackend } from './ideal';
import { createNobleBackend, nobleBackend } from './noble';
import { createNodeBackend, nodeBackend } from './node';

/** The real backends, interchangeable on the wire (the ideal one is not: it computes no P-256). */
export const CRYPTO_BACKENDS: Readonly<Record<RealBackendName, CryptoBackend>> = { noble: nobleBackend, node: nodeBackend };

/** Every backend by name, drawing keys and nonces from the system CSPRNG. */
export const ALL_BACKENDS: Readonly<Record<BackendName, CryptoBackend>> = { ...CRYPTO_BACKENDS, ideal: idealBackend };

const FACTORIES: Readonly<Record<BackendName, (random?: RandomSource) => CryptoBackend>> = {
  noble: createNobleBackend,
  node: createNodeBackend,
  ideal: createIdealBackend,
};

/** A backend by name; with `random`, its keys and nonces come from there (seeded.ts) instead of the system CSPRNG. */
export function cryptoBackend(name: BackendName, random?: RandomSource): CryptoBackend {
  return random ? FACTORIES[name](random) : ALL_BACKENDS[name];
}
