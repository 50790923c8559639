import { interceptorSpecSchema } from '../../../channel/interceptor';
import { registerStep, stepId } from '../step';

/**
 * Adds any registered interceptor (channel/interceptors/) to the wire until a `remove` step names
 * its id; what it injects or alters counts against the step's goal.
 */
export const interceptor = registerStep({
  name: 'interceptor',
  summary: 'add an interceptor (drop, delay, tamper...) with a matcher and a probability',
  config: interceptorSpecSchema.extend({ id: stepId }),
  check: (spec, at) => {
    at.matcher(spec.match, 'match');
    at.define('interceptor', spec.id);
  },
  run: (spec, step) => {
    const id = `${step.campaign}:${step.goal}:${spec.id}`;
    step.context.network.control.addInterceptor({ ...spec, id });
    step.timeline.interceptors.set(spec.id, id);
    step.host.trackInterceptor(id);
  },
});
