/**
 * perf:protocol: wire frame sizes (everything included) of every class of the README's table
 * "The lean protocol on the wire", in its order, and crypto throughput per backend. Backends are
 * measured in alternating rounds on the real clock; medians are reported.
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
/** The README's wire table, row by row: the sample frame each row measures. */
const WIRE_TABLE = [
  ['automation', 'automation command'],
  ['meterRequest', 'meter request'],
  ['meterResponse', 'meter response (one register)'],
  ['confidential', 'confidential message (25-byte payload)'],
  ['firmwareManifest', 'firmware manifest'],
  ['firmwareChunk', 'firmware chunk'],
  ['dcCsr', 'DC certificate request'],
  ['dcEnrolment', 'DC enrolment'],
  ['tnKey', 'TN key registration'],
  ['tnAck', 'TN acknowledgement'],
  ['tnEnrolment', 'TN enrolment'],
] as const;
const frameBytes: Record<string, number> = {};
for (const [key] of WIRE_TABLE) {
  const frame = frames[key];
  if (!frame) throw new Error(`perf:protocol: no sample frame "${key}" (nodes/lean/sample-frames.ts)`);
  frameBytes[key] = frame.length;
}
frameBytes.firmwareChunkPayload = FIRMWARE_CHUNK_BYTES;

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
  'frame bytes (everything included), as the README wire table lists them:',
  ...WIRE_TABLE.map(([key, label]) => `  ${label.padEnd(40)} ${frameBytes[key]}`),
  `  ${'firmware chunk payload'.padEnd(40)} ${FIRMWARE_CHUNK_BYTES}`,
  `crypto ops/s (median of ${ROUNDS} alternating rounds, real clock):`,
  ...Object.entries(opsPerSec).map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
]);
