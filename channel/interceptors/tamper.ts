import { z } from 'zod';
import { fromHex } from '../../core/bytes';
import { boundedHex, LIMITS, registerInterceptor } from '../interceptor';

/**
 * Changes matching frames in flight: flips `flipBits` random bits at or after `minOffset` (the
 * two-byte wire header is spared by default, so the frame still reaches its class's checks), or
 * overwrites bytes at `offset` (negative: from the end) with `overwrite` (hex).
 */
export const tamper = registerInterceptor({
  name: 'tamper',
  summary: 'flip random bits or overwrite a byte range of matching frames',
  config: z
    .object({
      flipBits: z.number().int().min(0).max(LIMITS.flipBits).default(0),
      minOffset: z.number().int().min(0).max(LIMITS.frameBytes).default(2),
      offset: z.number().int().min(-LIMITS.frameBytes).max(LIMITS.frameBytes).default(0),
      overwrite: boundedHex.optional(),
    })
    .strict()
    .refine((c) => c.flipBits > 0 || c.overwrite !== undefined, { message: 'expected flipBits > 0 or overwrite' }),
  create: ({ flipBits, minOffset, offset, overwrite }) => {
    const patch = overwrite ? fromHex(overwrite) : undefined;
    return {
      onFrame(frame, ctx) {
        const bytes = Uint8Array.from(frame.bytes);
        const span = bytes.length - minOffset;
        if (span > 0)
          for (let i = 0; i < flipBits; i++) {
            const bit = ctx.random.int(span * 8);
            bytes[minOffset + (bit >> 3)]! ^= 1 << (bit & 7);
          }
        if (patch) {
          const at = offset < 0 ? bytes.length + offset : offset;
          for (let i = 0; i < patch.length; i++) if (at + i >= 0 && at + i < bytes.length) bytes[at + i] = patch[i]!;
        }
        ctx.tamper(frame, bytes);
      },
    };
  },
});
