import { nodeId } from '../../scenario/schema';
import { registerStep } from '../step';

/**
 * Power comes back on a DC's segment and every TN of it reconnects (in smgw-tls a renegotiation
 * storm, awaited until it is over).
 */
export const powerRestored = registerStep({
  name: 'powerRestored',
  summary: "every TN of a DC's segment loses and regains power",
  config: nodeId,
  check: (dc, at) => at.node(dc, '', 'dc'),
  // every mode restores power (nodes/mode.ts): the step applies to all
  run: (dc, { context }) => context.mode.powerRestored(dc),
});
