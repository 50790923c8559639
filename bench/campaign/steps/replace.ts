import { nodeId } from '../../scenario/schema';
import { registerStep } from '../step';

/** A new unit replaces a DC or TN and enrols; awaited until it has. */
export const replace = registerStep({
  name: 'replace',
  summary: 'a new unit replaces a DC or TN in operation and enrols again',
  config: nodeId,
  check: (node, at) => {
    const role = at.topology.roleOf(node);
    if (role !== 'dc' && role !== 'tn') at.problem('', `"${node}" is not a DC or TN of this topology`);
  },
  // every mode replaces DCs and TNs (nodes/mode.ts): the step applies to all
  run: (node, { context }) => context.mode.replace(node),
});
