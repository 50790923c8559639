import { z } from 'zod';
import { boundedMs, LIMITS, registerInterceptor } from '../interceptor';

/** Forwards each matching frame and puts `copies` more on the wire, `delayMs` later. */
export const duplicate = registerInterceptor({
  name: 'duplicate',
  summary: 'forward matching frames and inject copies of them (after delayMs)',
  config: z.object({ copies: z.number().int().min(1).max(LIMITS.copies).default(1), delayMs: boundedMs.default(0) }).strict(),
  create: ({ copies, delayMs }) => ({
    onFrame(frame, ctx) {
      ctx.forward(frame);
      const copy = { from: frame.from, to: frame.to, bytes: frame.bytes };
      const send = (): void => {
        for (let i = 0; i < copies; i++) ctx.inject(copy);
      };
      if (delayMs > 0) ctx.schedule(delayMs, send);
      else send();
    },
  }),
});
