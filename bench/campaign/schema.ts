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
 * Each step is `at`, optionally `goal`, and one step kind as its key: the kinds are registered in
 * steps/ (one file each, step.ts says what a kind is). Anything a timeline cannot say goes in a
 * TypeScript module whose default export receives the CampaignApi (campaign-api.ts).
 */
import { z } from 'zod';
import { durationSchema } from '../scenario/units';
import { CAMPAIGN_GOALS } from './goals';
import { stepKind, stepKinds } from './step';
import './steps';

const goal = z.enum(CAMPAIGN_GOALS);

/** A step: its time, its goal, and the config of its one kind, checked by that kind's schema. */
export const stepSchema = z
  .object({ at: durationSchema, goal: goal.optional() })
  .catchall(z.unknown())
  .transform((raw, ctx) => {
    const { at, goal, ...rest } = raw;
    const keys = Object.keys(rest);
    const names = stepKinds().map((k) => k.name);
    if (keys.length !== 1) {
      const message = keys.length ? `one step kind per step, got ${keys.join(', ')}` : `expected a step kind (${names.join(', ')})`;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    const name = keys[0]!;
    const kind = stepKind(name);
    if (!kind) {
      ctx.addIssue({ code: 'custom', path: [name], message: `unknown step kind (expected one of ${names.join(', ')})` });
      return z.NEVER;
    }
    const config = kind.config.safeParse(rest[name]);
    if (!config.success) {
      for (const issue of config.error.issues)
        ctx.addIssue({ ...issue, path: [name, ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    return { at, ...(goal ? { goal } : {}), kind: name, config: config.data };
  });

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

export type CampaignFile = z.output<typeof campaignSchema>;
export type Step = z.output<typeof stepSchema>;
