import type { BackendName, CryptoBackend } from './backend';
import { nobleBackend } from './noble';
import { nodeBackend } from './node';

export const CRYPTO_BACKENDS: Readonly<Record<BackendName, CryptoBackend>> = { noble: nobleBackend, node: nodeBackend };

export function cryptoBackend(name: BackendName): CryptoBackend {
  return CRYPTO_BACKENDS[name];
}
