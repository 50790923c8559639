import { z } from 'zod';
import { durationSchema, sizeSchema } from '../../scenario/units';
import { registerStep } from '../step';

/** An honest firmware rollout to every TN, awaited until all installed it or `timeout` passed. */
export const firmware = registerStep({
  name: 'firmware',
  summary: 'an honest firmware rollout, for the attacker to record or alter',
  config: z.object({ version: z.number().int().positive(), size: sizeSchema, timeout: durationSchema.default(600_000) }).strict(),
  run: ({ version, size, timeout }, { context }) =>
    context.mode.firmware({ version, image: new Uint8Array(size).map((_, i) => (i * 13 + version) & 0xff) }, timeout),
});
