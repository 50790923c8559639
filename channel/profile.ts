import { z } from 'zod';
import { describeZodIssues } from '../core/config';
import { fragmentSizes } from '../core/phy';

/**
 * What a link imposes on a frame (docs/DESIGN.md section 3). One profile describes one medium: a PLC
 * segment (half duplex, both directions share it) or a WAN link (full duplex unless said otherwise).
 * Presets live in presets.ts; a scenario names a preset and overrides any field.
 */
const probability = z.number().min(0).max(1);

/** Bounds a control API client cannot go past (docs/EXTENDING.md): a day of delay, 15 retries, 16-byte PHY frames. */
const MAX_MS = 86_400_000;
const ms = z.number().min(0).max(MAX_MS);
const retries = z.number().int().min(0).max(15);
const maxPsdu = z
  .number()
  .int()
  .min(16)
  .max(1 << 24);
const maxFrameBytes = z
  .number()
  .int()
  .positive()
  .max(1 << 24);
const queueFrames = z.number().int().min(0).max(1_000_000);

export const jitterSchema = z
  .object({
    /** none: 0; uniform: U(0, ms); normal: |N(0, ms)|; exponential: Exp(mean ms). Never negative. */
    distribution: z.enum(['none', 'uniform', 'normal', 'exponential']),
    ms,
  })
  .strict();

export const lossSchema = z.discriminatedUnion('model', [
  z.object({ model: z.literal('bernoulli'), p: probability }).strict(),
  z
    .object({
      model: z.literal('gilbert-elliott'),
      /** Per PHY frame transition probabilities of the two-state chain. */
      pGoodToBad: probability,
      pBadToGood: probability,
      /** PHY frame loss probability in each state. */
      lossGood: probability,
      lossBad: probability,
    })
    .strict(),
]);

export const linkProfileSchema = z
  .object({
    /** Bits per second on the medium; 0 means unlimited (no serialization time). */
    bitRate: z.number().min(0),
    /** Bit rate towards the HES when it differs (ADSL, GPRS multislot); full duplex only. */
    uplinkBitRate: z.number().min(0).optional(),
    /** PHY/MAC bytes added to every PHY frame (preamble and frame control as byte-time, headers, FCS). */
    overheadBytes: z.number().int().min(0),
    /** Largest payload of one PHY frame; longer frames are fragmented. null: never fragment. */
    maxPsdu: maxPsdu.nullable(),
    /** Largest frame the link accepts from a node; longer ones are rejected (counted). */
    maxFrameBytes,
    /** One-way propagation and processing latency added after the last bit is sent. */
    latencyMs: ms,
    jitter: jitterSchema,
    loss: lossSchema,
    /**
     * Link-layer retransmissions per PHY frame (unicast only: broadcasts are never acknowledged).
     * Each attempt costs the fragment's airtime again; acknowledgements are folded into overheadBytes.
     */
    retries,
    /** Frames each sender's transmit buffer holds while waiting for the medium (not counting the one being sent); drop-tail beyond. */
    queueFrames,
    /** half: both directions queue on one medium (PLC); full: one medium per direction. */
    duplex: z.enum(['half', 'full']),
  })
  .strict();

export type JitterSpec = z.infer<typeof jitterSchema>;
export type LossSpec = z.infer<typeof lossSchema>;
export type LinkProfile = z.infer<typeof linkProfileSchema>;

type DeepPartial<T> = { [K in keyof T]?: (T[K] extends object ? DeepPartial<T[K]> | T[K] : T[K]) | undefined };

/** A preset name plus field overrides; nested objects (jitter, loss) merge field by field. */
export type ProfileSpec = { preset?: string | undefined } & DeepPartial<LinkProfile>;

export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);

/** Overrides merged into a profile or spec field by field; nested objects (jitter, loss) too. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    // A loss override that switches model replaces the whole object: fields of the old model do not apply.
    const switchesModel = isPlainObject(b) && isPlainObject(v) && 'model' in v && v.model !== b.model;
    out[k] = isPlainObject(b) && isPlainObject(v) && !switchesModel ? deepMerge(b, v) : v;
  }
  return out;
}

/**
 * The effective profile of a spec: the named preset (pass-through when none is named) with the
 * overrides merged in, validated. `where` names the place in the config for error messages.
 */
export function resolveProfile(
  spec: ProfileSpec | undefined,
  presets: Readonly<Record<string, LinkProfile>>,
  where = 'profile',
): LinkProfile {
  const { preset = 'pass-through', ...overrides } = spec ?? {};
  const base = presets[preset];
  if (!base) throw new ProfileError(`${where}.preset: unknown preset "${preset}" (expected one of ${Object.keys(presets).join(', ')})`);
  const merged = deepMerge(base as unknown as Record<string, unknown>, overrides as Record<string, unknown>);
  const parsed = linkProfileSchema.safeParse(merged);
  if (!parsed.success) throw new ProfileError(describeZodIssues(parsed.error, where));
  return parsed.data;
}

/** A spec's shape before merging: preset plus any subset of the fields. Used by config and control API. */
export const profileSpecSchema = z
  .object({
    preset: z.string().optional(),
    bitRate: z.number().min(0).optional(),
    uplinkBitRate: z.number().min(0).optional(),
    overheadBytes: z.number().int().min(0).optional(),
    maxPsdu: maxPsdu.nullable().optional(),
    maxFrameBytes: maxFrameBytes.optional(),
    latencyMs: ms.optional(),
    jitter: jitterSchema.partial().optional(),
    loss: z.record(z.string(), z.unknown()).optional(),
    retries: retries.optional(),
    queueFrames: queueFrames.optional(),
    duplex: z.enum(['half', 'full']).optional(),
  })
  .strict();

/** Bit rate a frame goes at: towards the HES (up), a full-duplex link may have a rate of its own. */
export const bitRateOf = (profile: LinkProfile, up: boolean): number =>
  up && profile.duplex === 'full' && profile.uplinkBitRate ? profile.uplinkBitRate : profile.bitRate;

/** Time one PHY frame carrying `bytes` of payload occupies the medium at `rate` (ms); 0 when unlimited. */
export const phyFrameMs = (profile: LinkProfile, bytes: number, rate: number): number =>
  rate > 0 ? ((bytes + profile.overheadBytes) * 8000) / rate : 0;

/** Serialization time of a frame of `bytes` on this profile in the given direction (ms), without retries. */
export function airtimeMs(profile: LinkProfile, bytes: number, up: boolean): number {
  const rate = bitRateOf(profile, up);
  let total = 0;
  for (const f of fragmentSizes(profile, bytes)) total += phyFrameMs(profile, f, rate);
  return total;
}

/** Mean of the jitter distribution (ms), for comparing configured and measured latency. */
export function meanJitterMs(jitter: JitterSpec): number {
  switch (jitter.distribution) {
    case 'none':
      return 0;
    case 'uniform':
      return jitter.ms / 2;
    case 'normal':
      return jitter.ms * Math.sqrt(2 / Math.PI);
    case 'exponential':
      return jitter.ms;
  }
}

/** Long-run PHY frame loss rate of the configured model. */
export function meanLossRate(loss: LossSpec): number {
  if (loss.model === 'bernoulli') return loss.p;
  const denom = loss.pGoodToBad + loss.pBadToGood;
  const bad = denom === 0 ? 0 : loss.pGoodToBad / denom;
  return bad * loss.lossBad + (1 - bad) * loss.lossGood;
}
