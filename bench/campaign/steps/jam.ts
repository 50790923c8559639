import { z } from 'zod';
import { nodeId } from '../../scenario/schema';
import { durationSchema } from '../../scenario/units';
import { registerStep } from '../step';

/** Occupies a DC's PLC segment for `duration`: nothing else gets through meanwhile. */
export const jam = registerStep({
  name: 'jam',
  summary: "occupy a DC's PLC segment for a while",
  config: z.object({ segment: nodeId, duration: durationSchema }).strict(),
  check: ({ segment }, at) => at.node(segment, 'segment', 'dc'),
  run: ({ segment, duration }, step) => {
    const control = step.context.network.control;
    const id = `${step.campaign}:${step.goal}:jam-${segment}-${step.at}`;
    control.addInterceptor({ id, type: 'jam', match: { link: `plc:${segment}` }, config: { durationMs: duration } });
    step.context.clock.setTimer(duration, () => control.removeInterceptor(id));
  },
});
