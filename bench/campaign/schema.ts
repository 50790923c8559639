/**
 * A campaign file: a timeline of attacks and grid events, run against every mode of a scenario.
 *
 *   name: replay
 *   goal: fresh_authentic_DC          # the goal its steps attack, unless a step names another
 *   steps:
 *     - { at: 1m, record: { id: cmds, match: { link: plc:dc1, class: automation } } }
 *     - { at: 3m, replay: { recording: cmds, as: { from: dc2, to: "*" } } }
 *     - { at: 2m, interceptor: { id: dup, type: duplicate, match: { class: automation } } }
 *     - { at: 4m, remove: dup }
 *     - { at: 2m, compromise: dc2 }
 *     - { at: 5m, forge: { class: automation, signer: dc2, from: dc1, to: "*", fields: { dc: dc1, group: dc1, counter: 1000000, relay: 1 } } }
 *     - { at: 6m, rogueFirmware: { version: 99, size: 2KiB, signer: attacker, from: dc1 } }
 *     - { at: 6m, jam: { segment: dc1, duration: 10s } }
 *     - { at: 7m, flood: { from: dc1, to: "*", frames: 500, over: 10s } }
 *     - { at: 8m, powerRestored: dc1 }
 *     - { at: 9m, automation: { dc: dc1, relay: off } }
 *     - { at: 1m, firmware: { version: 2, size: 4KiB } }     # an honest rollout to attack
 *     - { at: 2m, replace: tn1.003 }                        # a new unit enrols (lean)
 *   thresholds: { attack_accepted: ["count==0"] }             # added to the scenario's
 *
 * Anything a timeline cannot say goes in a TypeScript module whose default export receives the
 * CampaignApi (campaign-api.ts).
 */
import { z } from 'zod';
import { interceptorSpecSchema, matcherSchema } from '../../channel/interceptor';
import { GOALS } from '../../nodes/oracle/goal-oracle';
import { nodeId } from '../scenario/schema';
import { durationSchema, sizeSchema } from '../scenario/units';

const destination = z.union([nodeId, z.literal('*')]);
const signer = z.union([z.literal('attacker'), nodeId]);
export const CAMPAIGN_GOALS = [...GOALS, 'availability'] as const;
const goal = z.enum(CAMPAIGN_GOALS);
const stepId = z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'expected 1 to 40 letters, digits or . _ -');

const forgeFields = z.discriminatedUnion('class', [
  z
    .object({
      class: z.literal('automation'),
      fields: z
        .object({
          dc: nodeId,
          group: nodeId,
          counter: z.number().int().min(0).max(0xffffffff),
          relay: z.union([z.literal(0), z.literal(1)]),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      class: z.literal('meter-request'),
      fields: z
        .object({
          hes: nodeId,
          group: z.union([nodeId, z.literal('*')]),
          counter: z.number().int().min(0).max(0xffffffff),
          request: z.number().int().min(0).max(255).default(0),
        })
        .strict(),
    })
    .strict(),
]);

const action = z.union([
  z.object({ record: z.object({ id: stepId, match: matcherSchema.default({}) }).strict() }),
  z.object({
    replay: z
      .object({
        recording: stepId,
        /** Which recorded frames: the first, the last, or all of them. */
        pick: z.enum(['first', 'last', 'all']).default('all'),
        times: z.number().int().min(1).default(1),
        as: z.object({ from: nodeId, to: destination }).strict().optional(),
      })
      .strict(),
  }),
  z.object({ interceptor: interceptorSpecSchema.extend({ id: stepId }) }),
  z.object({ remove: stepId }),
  z.object({ compromise: nodeId }),
  z.object({
    forge: z.intersection(forgeFields, z.object({ signer, from: nodeId, to: destination, count: z.number().int().min(1).default(1) })),
  }),
  z.object({ rogueFirmware: z.object({ version: z.number().int().positive(), size: sizeSchema, signer, from: nodeId }).strict() }),
  z.object({ jam: z.object({ segment: nodeId, duration: durationSchema }).strict() }),
  z.object({
    flood: z
      .object({
        from: nodeId,
        to: destination,
        frames: z.number().int().min(1).max(1_000_000),
        over: durationSchema,
        bytes: z.number().int().min(2).max(1280).default(80),
      })
      .strict(),
  }),
  z.object({ powerRestored: nodeId }),
  z.object({ automation: z.object({ dc: nodeId, relay: z.enum(['on', 'off']) }).strict() }),
  z.object({
    firmware: z.object({ version: z.number().int().positive(), size: sizeSchema, timeout: durationSchema.default(600_000) }).strict(),
  }),
  z.object({ replace: nodeId }),
]);

export const stepSchema = z.intersection(z.object({ at: durationSchema, goal: goal.optional() }), action);

export const campaignSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    goal: goal.default('availability'),
    steps: z.array(stepSchema).min(1),
    /** Added to the scenario's thresholds (k6 form) when the campaign runs. */
    thresholds: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
  })
  .strict();

export type CampaignGoal = (typeof CAMPAIGN_GOALS)[number];
export type CampaignFile = z.output<typeof campaignSchema>;
export type Step = z.output<typeof stepSchema>;
