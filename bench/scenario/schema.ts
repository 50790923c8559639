/**
 * The scenario file: what a bench run is. Validated on load; every error names the file, the
 * field's path and what was expected. Times in the workload are measured from the end of
 * bootstrapping, on the run's clock.
 */
import { z } from 'zod';
import { profileSpecSchema } from '../../channel/profile';
import { COMPUTE_PROFILES } from '../../nodes/compute-profile';
import type { ScenarioUnits } from '../../nodes/mode';
import { MODE_NAMES, MODES, type ModeName } from '../../nodes/modes';
import { durationSchema, sizeSchema } from './units';

export const nodeId = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/, 'expected a node id such as dc1 or tn1.001');
const pin = z.union([z.number().int().nonnegative(), z.string().regex(/^A\d$/, 'expected a pin number or A0..A5')]);
const computePreset = z.enum(Object.keys(COMPUTE_PROFILES) as [string, ...string[]]);
const relay = z.enum(['on', 'off']);
const backendName = z.enum(['node', 'noble', 'ideal']);

const wiringSchema = z
  .object({
    relay: pin.optional(),
    feedback: pin.optional(),
    statusLed: pin.nullable().optional(),
    s0: pin.nullable().optional(),
    analog: pin.nullable().optional(),
    pulsesPerKWh: z.number().positive().optional(),
  })
  .strict();

const boardSchema = z.discriminatedUnion('kind', [
  z.object({ tn: nodeId, kind: z.literal('virtual'), wiring: wiringSchema.optional() }).strict(),
  /** StandardFirmata on an emulated Uno behind a pty (nodes/boards/README.md); runs on the real clock. */
  z.object({ tn: nodeId, kind: z.literal('emulated'), wiring: wiringSchema.optional() }).strict(),
  z
    .object({
      tn: nodeId,
      kind: z.literal('real'),
      port: z.string().min(1, 'expected a serial path such as /dev/ttyACM0'),
      baudRate: z.number().int().positive().optional(),
      wiring: wiringSchema.optional(),
    })
    .strict(),
]);

const when = {
  at: durationSchema.optional(),
  every: durationSchema.optional(),
  first: durationSchema.optional(),
  until: durationSchema.optional(),
};

/** Once at `at`, or every `every` starting at `first` (default: `every`) until `until`. */
const onceOrEvery = <T extends z.ZodType<{ at?: number | undefined; every?: number | undefined }>>(schema: T): T =>
  schema
    .refine((w) => (w.at === undefined) !== (w.every === undefined), { message: 'expected either "at" or "every"' })
    .refine((w) => w.every === undefined || w.every > 0, { message: 'expected a positive duration', path: ['every'] });

const automationSchema = onceOrEvery(
  z
    .object({
      ...when,
      /** A DC id, or "all" for every DC. */
      dc: z.union([nodeId, z.literal('all')]).default('all'),
      /** One state, or a pattern cycled through on each repetition. */
      relay: z.union([relay, z.array(relay).min(1)]),
    })
    .strict(),
);

/** Each mode's own section, under the mode's name (ModeDefinition.scenarioSection). */
const UNITS: ScenarioUnits = { duration: durationSchema, size: sizeSchema };
type ModeSections = { [N in ModeName]: ReturnType<(typeof MODES)[N]['scenarioSection']> };
const modeSections = Object.fromEntries(MODE_NAMES.map((name) => [name, MODES[name].scenarioSection(UNITS)])) as ModeSections;

export const scenarioSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    seed: z.union([z.number().int(), z.string().min(1)]).default(1),
    modes: z.array(z.enum(MODE_NAMES)).min(1).default(['lean']),
    /** virtual needs no hardware and runs faster than real time; real boards need real. */
    clock: z.enum(['virtual', 'real']).optional(),
    /** Simulated run time after bootstrap. */
    duration: durationSchema.default(600_000),
    topology: z.object({ dcs: z.number().int().min(1).max(10_000), tnsPerDc: z.number().int().min(1).max(9999) }).strict(),
    boards: z.array(boardSchema).default([]),
    channel: z
      .object({
        wan: profileSpecSchema.optional(),
        plc: profileSpecSchema.optional(),
        overrides: z.record(z.string(), profileSpecSchema).optional(),
      })
      .strict()
      .default({}),
    /**
     * The crypto backend per role (one name for all: `crypto: ideal`), and where keys and nonces
     * come from: `seeded` from the run's seed (the default: a run repeats byte for byte) or the
     * `system` CSPRNG. Real crypto (node) is the default backend.
     */
    crypto: z
      .union([
        backendName.transform((b) => ({ hes: b, dc: b, tn: b, randomness: 'seeded' as const })),
        z
          .object({
            hes: backendName.default('node'),
            dc: backendName.default('node'),
            tn: backendName.default('node'),
            randomness: z.enum(['seeded', 'system']).default('seeded'),
          })
          .strict(),
      ])
      .default({ hes: 'node', dc: 'node', tn: 'node', randomness: 'seeded' }),
    compute: z
      .object({ default: computePreset.default('none'), tns: z.record(nodeId, computePreset).default({}) })
      .strict()
      .default({ default: 'none', tns: {} }),
    ...modeSections,
    /** The smgw-tls options' old key: refused, naming the new one. */
    tls: z.undefined({ error: 'renamed: write the smgw-tls options under "smgw-tls:" (the mode\'s name)' }).optional(),
    workload: z
      .object({
        meterRounds: onceOrEvery(z.object({ ...when, timeout: durationSchema.default(120_000) }).strict()).optional(),
        automation: z.array(automationSchema).default([]),
        confidential: z.array(z.object({ at: durationSchema, tn: nodeId, text: z.string().min(1) }).strict()).default([]),
        firmware: z
          .array(
            z
              .object({
                at: durationSchema,
                version: z.number().int().positive(),
                size: sizeSchema,
                timeout: durationSchema.default(900_000),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ automation: [], confidential: [], firmware: [] }),
    /** Grid events: every TN of the segment loses and regains power (smgw-tls: all reconnect at once). */
    events: z.array(z.object({ at: durationSchema, powerRestored: nodeId }).strict()).default([]),
    /** Campaign names from bench/campaigns/, or paths (YAML timelines or TypeScript modules). */
    campaigns: z.array(z.string().min(1)).default([]),
    /**
     * Multiplies every campaign's step times and its modules' api.at / api.sleep waits (0.1: a
     * campaign of ten minutes in one); what a step does over time (a jam's length, a flood's
     * spread, a round's timeout) keeps its own. For quick verdicts on the real clock
     * (--processes, the lab), not for timing figures.
     */
    campaignTimeScale: z.number().positive().max(1).default(1),
    thresholds: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
    /** per-tn: the TN id a tag (one series per TN); per-segment: a field (bench/metrics/tagging.ts). */
    metrics: z
      .object({ tagging: z.enum(['per-tn', 'per-segment']).default('per-tn') })
      .strict()
      .default({ tagging: 'per-tn' }),
  })
  .strict();

/** A loaded scenario: its file (campaign paths are relative to it), name and clock resolved. */
export type Scenario = z.output<typeof scenarioSchema> & { name: string; clock: 'virtual' | 'real'; file: string };
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type AutomationSpec = z.output<typeof automationSchema>;
