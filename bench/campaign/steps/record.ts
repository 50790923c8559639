import { z } from 'zod';
import { matcherSchema } from '../../../channel/interceptor';
import { registerStep, stepId } from '../step';

/** Starts recording the frames a matcher selects, under an id later `replay` steps name. */
export const record = registerStep({
  name: 'record',
  summary: 'record the frames a matcher selects, for a later replay',
  config: z.object({ id: stepId, match: matcherSchema.default({}) }).strict(),
  check: ({ id, match }, at) => {
    at.define('recording', id);
    at.matcher(match, 'match');
  },
  run: ({ id, match }, step) => {
    step.timeline.recordings.set(id, step.attacker.record(match));
  },
});
