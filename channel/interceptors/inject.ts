import { z } from 'zod';
import { fromHex } from '../../core/bytes';
import { boundedHex, boundedMs, LIMITS, registerInterceptor, type StartingInterceptor } from '../interceptor';

/**
 * Puts attacker-made frames on the wire claiming any sender: `count` frames, `everyMs` apart,
 * starting when added (trigger 'start') or one burst per matching frame (trigger 'frame', racing it).
 * Matching frames themselves pass untouched.
 */
export const inject = registerInterceptor({
  name: 'inject',
  summary: 'send attacker-made frames (hex) from any claimed sender, on start or per matching frame',
  config: z
    .object({
      from: z.string().min(1).max(255),
      to: z.string().min(1).max(255),
      hex: boundedHex,
      count: z.number().int().min(1).max(LIMITS.count).default(1),
      everyMs: boundedMs.default(0),
      trigger: z.enum(['start', 'frame']).default('start'),
    })
    .strict(),
  create: ({ from, to, hex, count, everyMs, trigger }): StartingInterceptor => {
    const bytes = fromHex(hex);
    const burst = (ctx: Parameters<StartingInterceptor['start']>[0]): void => {
      for (let i = 0; i < count; i++) {
        if (everyMs > 0 && i > 0) ctx.schedule(everyMs * i, () => ctx.inject({ from, to, bytes }));
        else ctx.inject({ from, to, bytes });
      }
    };
    return {
      start(ctx) {
        if (trigger === 'start') burst(ctx);
      },
      onFrame(frame, ctx) {
        ctx.forward(frame);
        if (trigger === 'frame') burst(ctx);
      },
    };
  },
});
