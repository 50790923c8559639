import { registerStep, stepId } from '../step';

/** Takes an earlier `interceptor` step's interceptor off the wire. */
export const remove = registerStep({
  name: 'remove',
  summary: 'remove the interceptor an earlier step added',
  config: stepId,
  check: (id, at) => {
    if (!at.defined('interceptor', id)) at.problem('', `no earlier interceptor step "${id}"`);
  },
  run: (id, step) => {
    const added = step.timeline.interceptors.get(id);
    if (added) step.context.network.control.removeInterceptor(added);
  },
});
