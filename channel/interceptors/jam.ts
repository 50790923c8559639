import { z } from 'zod';
import { boundedMs, LIMITS, registerInterceptor, type StartingInterceptor } from '../interceptor';

/**
 * Occupies the medium of the matched links for durationMs when added, then `count - 1` more
 * times every everyMs. Frames on the air during a jam are destroyed; others wait for it to end.
 */
export const jam = registerInterceptor({
  name: 'jam',
  summary: 'occupy the medium of the matched links for durationMs (count times, everyMs apart)',
  config: z
    .object({
      durationMs: boundedMs.positive(),
      count: z.number().int().min(1).max(LIMITS.count).default(1),
      everyMs: boundedMs.positive().optional(),
    })
    .strict()
    .refine((c) => c.count === 1 || c.everyMs !== undefined, { message: 'expected everyMs when count > 1' }),
  create: ({ durationMs, count, everyMs }): StartingInterceptor => ({
    start(ctx) {
      ctx.jam(durationMs);
      for (let i = 1; i < count; i++) ctx.schedule(everyMs! * i, () => ctx.jam(durationMs));
    },
    onFrame: (frame, ctx) => ctx.forward(frame),
  }),
});
