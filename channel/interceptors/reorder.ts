import { z } from 'zod';
import type { TimerHandle } from '../../core/clock';
import type { WireFrame } from '../frame';
import { boundedMs, LIMITS, registerInterceptor, type InterceptorContext, type StoppingInterceptor } from '../interceptor';

/**
 * Holds matching frames until `window` of them are waiting (or maxHoldMs passed since the first),
 * then releases them reversed or shuffled.
 */
export const reorder = registerInterceptor({
  name: 'reorder',
  summary: 'collect window frames and release them reversed or shuffled',
  config: z
    .object({
      window: z.number().int().min(2).max(LIMITS.held).default(2),
      order: z.enum(['reverse', 'shuffle']).default('reverse'),
      maxHoldMs: boundedMs.default(1000),
    })
    .strict(),
  create: ({ window, order, maxHoldMs }): StoppingInterceptor => {
    let held: WireFrame[] = [];
    let timer: TimerHandle | undefined;
    const release = (ctx: InterceptorContext): void => {
      timer?.cancel();
      timer = undefined;
      const out = held;
      held = [];
      if (order === 'reverse') out.reverse();
      else
        for (let i = out.length - 1; i > 0; i--) {
          const j = ctx.random.int(i + 1);
          [out[i], out[j]] = [out[j]!, out[i]!];
        }
      for (const f of out) ctx.forward(f);
    };
    return {
      onFrame(frame, ctx) {
        held.push(frame);
        if (held.length >= window) release(ctx);
        else if (!timer) timer = ctx.schedule(maxHoldMs, () => release(ctx));
      },
      stop: release,
    };
  },
});
