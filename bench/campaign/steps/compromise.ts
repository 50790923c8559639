import { nodeId } from '../../scenario/schema';
import { registerStep } from '../step';

/** Hands the attacker a node's keys: later `forge` and `rogueFirmware` steps may sign with them. */
export const compromise = registerStep({
  name: 'compromise',
  summary: "give the attacker a node's keys",
  config: nodeId,
  check: (node, at) => {
    at.node(node, '');
    at.define('compromised', node);
  },
  inapplicable: (_node, mode) => (mode.keysOf ? undefined : 'need lean-protocol keys'),
  run: (node, step) => {
    step.attacker.compromise(node);
  },
});
