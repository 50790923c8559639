import { z } from 'zod';
import { boundedMs, LIMITS, registerInterceptor } from '../interceptor';

/**
 * Records matching frames and sends them again afterMs later, `times` times, to the original
 * receiver or to other receivers (`to`), claiming the original sender unless `from` says otherwise.
 */
export const replay = registerInterceptor({
  name: 'replay',
  summary: 'record matching frames and resend them afterMs later (optionally to other receivers)',
  config: z
    .object({
      afterMs: boundedMs.default(1000),
      times: z.number().int().min(1).max(LIMITS.copies).default(1),
      to: z.array(z.string().min(1).max(255)).min(1).max(LIMITS.receivers).optional(),
      from: z.string().min(1).max(255).optional(),
      /** Frames recorded at most; later ones pass unrecorded. */
      limit: z.number().int().min(1).max(LIMITS.held).default(1000),
    })
    .strict(),
  create: ({ afterMs, times, to, from, limit }) => {
    let recorded = 0;
    return {
      onFrame(frame, ctx) {
        ctx.forward(frame);
        if (recorded >= limit) return;
        recorded++;
        const targets = to ?? [frame.to];
        const sender = from ?? frame.from;
        ctx.schedule(afterMs, () => {
          for (let i = 0; i < times; i++) for (const target of targets) ctx.inject({ from: sender, to: target, bytes: frame.bytes });
        });
      },
    };
  },
});
