import { z } from 'zod';
import { nodeId } from '../../scenario/schema';
import { destination, registerStep, stepId } from '../step';

/** Puts recorded frames on the wire again, to their old receivers or, with `as`, to others. */
export const replay = registerStep({
  name: 'replay',
  summary: 'send recorded frames again, to the same or other receivers',
  config: z
    .object({
      recording: stepId,
      /** Which recorded frames: the first, the last, or all of them. */
      pick: z.enum(['first', 'last', 'all']).default('all'),
      times: z.number().int().min(1).default(1),
      as: z.object({ from: nodeId, to: destination }).strict().optional(),
    })
    .strict(),
  check: ({ recording, as }, at) => {
    if (as) {
      at.node(as.from, 'as.from');
      at.destination(as.to, 'as.to');
    }
    if (!at.defined('recording', recording)) at.problem('recording', `no earlier record step "${recording}"`);
  },
  run: ({ recording, pick, times, as }, step) => {
    const frames = step.timeline.recordings.get(recording)?.frames ?? [];
    const picked = pick === 'all' ? frames : frames.length ? [pick === 'first' ? frames[0]! : frames.at(-1)!] : [];
    for (let t = 0; t < times; t++) for (const f of picked) step.attacker.replay(f, as);
  },
});
