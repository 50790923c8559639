import { z } from 'zod';
import type { TimerHandle } from '../../core/clock';
import type { WireFrame } from '../frame';
import { boundedMs, registerInterceptor, type StoppingInterceptor } from '../interceptor';

/** Holds each matching frame for ms (+ uniform jitter) before it goes on; on removal held frames go at once. */
export const delay = registerInterceptor({
  name: 'delay',
  summary: 'hold matching frames for ms (plus uniform jitterMs) before the medium',
  config: z.object({ ms: boundedMs, jitterMs: boundedMs.default(0) }).strict(),
  create: ({ ms, jitterMs }): StoppingInterceptor => {
    const held = new Map<WireFrame, TimerHandle>();
    return {
      onFrame(frame, ctx) {
        const wait = ms + (jitterMs > 0 ? ctx.random.float() * jitterMs : 0);
        held.set(
          frame,
          ctx.schedule(wait, () => {
            held.delete(frame);
            ctx.forward(frame);
          }),
        );
      },
      stop(ctx) {
        for (const [frame, timer] of held) {
          timer.cancel();
          ctx.forward(frame);
        }
        held.clear();
      },
    };
  },
});
