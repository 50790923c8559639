import { z } from 'zod';
import { MessageClass, WIRE_VERSION } from '../../../nodes/protocol/message-class';
import { nodeId } from '../../scenario/schema';
import { durationSchema } from '../../scenario/units';
import { destination, registerStep } from '../step';

/**
 * Injects `frames` junk frames spread evenly over `over`: random bytes behind a valid header, so
 * each reaches a class's checks and costs the receivers work.
 */
export const flood = registerStep({
  name: 'flood',
  summary: 'inject junk frames at a steady rate',
  config: z
    .object({
      from: nodeId,
      to: destination,
      frames: z.number().int().min(1).max(1_000_000),
      over: durationSchema,
      bytes: z.number().int().min(2).max(1280).default(80),
    })
    .strict(),
  check: ({ from, to }, at) => {
    at.node(from, 'from');
    at.destination(to, 'to');
  },
  run: ({ from, to, frames, over, bytes }, { attacker, context, timeline }) => {
    const gap = over / frames;
    for (let i = 0; i < frames; i++) {
      context.clock.setTimer(i * gap, () => {
        const junk = new Uint8Array(bytes).map(() => timeline.random.int(256));
        junk[0] = WIRE_VERSION;
        junk[1] = MessageClass.Automation;
        attacker.inject(from, to, junk);
      });
    }
  },
});
