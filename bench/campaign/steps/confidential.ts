import { z } from 'zod';
import { nodeId } from '../../scenario/schema';
import { registerStep } from '../step';

/** An honest confidential message from the HES to one TN (to attack, or to read with a key that should not open it). */
export const confidential = registerStep({
  name: 'confidential',
  summary: 'an honest confidential message from the HES to a TN',
  config: z.object({ tn: nodeId, text: z.string().min(1) }).strict(),
  check: ({ tn }, at) => at.node(tn, 'tn', 'tn'),
  run: ({ tn, text }, { context }) => {
    context.mode.confidential(tn, new TextEncoder().encode(text));
  },
});
