import { z } from 'zod';
import { nodeId } from '../../scenario/schema';
import { destination, registerStep, stepId } from '../step';

/**
 * Splices two recorded frames: the first `at` bytes of the last frame of `head`, the rest from the
 * last frame of `tail` (fields of one message under the signature or seal of another), and injects
 * the result as `from` to `to`.
 */
export const splice = registerStep({
  name: 'splice',
  summary: 'join the head of one recorded frame to the tail of another and inject it',
  config: z.object({ head: stepId, tail: stepId, at: z.number().int().min(1).max(1279), from: nodeId, to: destination }).strict(),
  check: ({ head, tail, from, to }, at) => {
    for (const [field, id] of [
      ['head', head],
      ['tail', tail],
    ] as const)
      if (!at.defined('recording', id)) at.problem(field, `no earlier record step "${id}"`);
    at.node(from, 'from');
    at.destination(to, 'to');
  },
  run: ({ head, tail, at, from, to }, step) => {
    const a = step.timeline.recordings.get(head)?.frames.at(-1);
    const b = step.timeline.recordings.get(tail)?.frames.at(-1);
    if (!a || !b) return;
    const cut = Math.min(at, a.bytes.length, b.bytes.length);
    step.attacker.inject(from, to, Uint8Array.of(...a.bytes.subarray(0, cut), ...b.bytes.subarray(cut)));
  },
});
