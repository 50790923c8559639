import { z } from 'zod';
import { nodeId } from '../../scenario/schema';
import { registerStep } from '../step';

/** An honest automation command to every TN of a DC's segment (to attack, or to measure during an attack). */
export const automation = registerStep({
  name: 'automation',
  summary: "an honest automation command to a DC's segment",
  config: z.object({ dc: nodeId, relay: z.enum(['on', 'off']) }).strict(),
  check: ({ dc }, at) => at.node(dc, 'dc', 'dc'),
  run: ({ dc, relay }, { context }) => {
    context.mode.automation(dc, { relay });
  },
});
