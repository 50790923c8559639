/**
 * Mutation fuzzing of the wire codec: 100,000 frames derived from genuine frames of every class by
 * bit flips, byte overwrites, truncation, extension, insertion, deletion and splicing. Each one
 * must either be rejected with a reason or decode to a frame whose canonical encoding is exactly
 * the mutated bytes; no exception may escape.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { buildSampleFrames } from '../../nodes/lean/sample-frames';
import { decodeFrame, encodeFrame } from '../../nodes/protocol/frame';
import { REJECTION_REASONS } from '../../nodes/protocol/rejection';
import { Random } from '../../core/random';
import { mutate } from '../helpers/mutate';

const FRAMES = 100_000;
const seeds = Object.values(buildSampleFrames(CRYPTO_BACKENDS.node));

describe('codec fuzz', () => {
  it(`rejects with a reason, or decodes canonically, each of ${FRAMES.toLocaleString('en')} mutated frames`, () => {
    const random = new Random('codec-fuzz');
    const reasons = new Map<string, number>();
    let decoded = 0;
    let nonCanonical = 0;
    for (let i = 0; i < FRAMES; i++) {
      const bytes = mutate(seeds[i % seeds.length]!, random, seeds);
      const result = decodeFrame(bytes);
      if (result.ok) {
        decoded++;
        if (Buffer.compare(Buffer.from(encodeFrame(result.value)), Buffer.from(bytes)) !== 0) nonCanonical++;
      } else {
        reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
      }
    }
    expect(nonCanonical).toBe(0);
    expect(decoded + [...reasons.values()].reduce((a, b) => a + b, 0)).toBe(FRAMES);
    for (const reason of reasons.keys()) expect(REJECTION_REASONS).toContain(reason);
    // the mutations must exercise both outcomes and several refusal paths, or the test proves little
    expect(decoded).toBeGreaterThan(FRAMES * 0.05);
    expect(reasons.size).toBeGreaterThanOrEqual(4);
  });
});
