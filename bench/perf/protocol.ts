/**
 * perf:protocol: wire frame sizes (everything included) and crypto throughput per backend.
 * Backends are measured in alternating rounds on the real clock; medians are reported.
 */
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import type { CryptoBackend } from '../../nodes/crypto/backend';
import { FIRMWARE_CHUNK_BYTES } from '../../nodes/lean/manufacturer';
import { buildSampleFrames } from '../../nodes/lean/sample-frames';
import { median } from '../../core/statistics';
import { opsPerSecond, report, round } from './measure';

const ROUNDS = 5;
const WINDOW_MS = 300;

const frames = buildSampleFrames(CRYPTO_BACKENDS.node);
const frameBytes = {
  meterRequest: frames.meterRequest!.length,
  meterResponse: frames.meterResponse!.length,
  confidential: frames.confidential!.length,
  automation: frames.automation!.length,
  firmwareChunk: frames.firmwareChunk!.length,
  firmwareChunkPayload: FIRMWARE_CHUNK_BYTES,
};

function operations(backend: CryptoBackend): Record<string, () => void> {
  const key = backend.generateKeyPair();
  const message = frames.automation!.subarray(0, frames.automation!.length - 64);
  const signature = backend.sign(message, key.secretKey);
  const aad = new Uint8Array(14);
  const plaintext = new Uint8Array(90);
  const sealed = backend.seal(plaintext, key.publicKey, aad);
  return {
    sign: () => backend.sign(message, key.secretKey),
    verify: () => {
      if (!backend.verify(signature, message, key.publicKey)) throw new Error('verify failed');
    },
    encrypt: () => backend.seal(plaintext, key.publicKey, aad),
    decrypt: () => {
      if (!backend.open(sealed, key.secretKey, aad)) throw new Error('decrypt failed');
    },
  };
}

const samples = new Map<string, number[]>();
const suites = Object.values(CRYPTO_BACKENDS).map((backend) => [backend.name, operations(backend)] as const);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, ops] of suites) {
    for (const [op, run] of Object.entries(ops)) {
      const key = `${name}.${op}`;
      samples.set(key, [...(samples.get(key) ?? []), opsPerSecond(run, WINDOW_MS)]);
    }
  }
}
const opsPerSec = Object.fromEntries([...samples].map(([key, values]) => [key, round(median(values))]));
const ratios = Object.fromEntries(
  ['sign', 'verify', 'encrypt', 'decrypt'].map((op) => [op, round(opsPerSec[`node.${op}`]! / opsPerSec[`noble.${op}`]!, 1)]),
);

report({ frameBytes, opsPerSec, nodeOverNoble: ratios, clock: 'real', rounds: ROUNDS, windowMs: WINDOW_MS, node: process.version }, [
  'frame bytes (everything included):',
  ...Object.entries(frameBytes).map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
  `crypto ops/s (median of ${ROUNDS} alternating rounds, real clock):`,
  ...Object.entries(opsPerSec).map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
]);
