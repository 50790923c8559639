import { z } from 'zod';
import { registerInterceptor } from '../interceptor';

/** Removes matching frames from the wire. With `probability` it is a selective loss the attacker controls. */
export const drop = registerInterceptor({
  name: 'drop',
  summary: 'remove matching frames from the wire',
  config: z.object({}).strict(),
  create: () => ({
    onFrame: (frame, ctx) => ctx.drop(frame),
  }),
});
