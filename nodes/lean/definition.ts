/**
 * Lean mode's registry entry (nodes/modes.ts): how the bench builds, provisions and hosts it.
 */
import { z } from 'zod';
import { RealClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { NO_AIRTIME } from '../../core/phy';
import { Random } from '../../core/random';
import type { Network } from '../../core/transport';
import type { ModeDefinition } from '../mode';
import { stateStoreFor } from '../store/state-dir';
import { MAX_REPEATS, type BroadcastRepeats } from './broadcast-repeats';
import { LeanMode, type LeanOptions } from './lean-mode';
import { exportLeanHostState, LEAN_PROVISIONING, loadLeanHostState, saveLeanProvisioning, stateManufacturer } from './provisioning';

const NO_NETWORK: Network = {
  attach: () => {
    throw new Error('provisioning attaches no node');
  },
  close: async () => {},
};

export const LEAN_MODE: ModeDefinition<LeanMode, LeanOptions> = {
  summary: 'signed multicast and signed+encrypted unicast at application level (ECDSA/ECDH P-256, AES-128-GCM)',
  // lean: { automation: { repeats: 2, spacing: 200ms } }: the DC sends each automation
  // broadcast twice more, 200 ms apart (./broadcast-repeats.ts); no repeats without it
  scenarioSection: (units) =>
    z
      .object({
        automation: z
          .object({
            repeats: z.number().int().min(0).max(MAX_REPEATS),
            spacing: units.duration.default(200),
          })
          .strict()
          .refine((a) => a.repeats === 0 || a.spacing > 0, { message: 'expected a positive spacing between repeats', path: ['spacing'] })
          .transform((a): BroadcastRepeats => ({ repeats: a.repeats, spacingMs: a.spacing }))
          .optional(),
      })
      .strict()
      .prefault({}),
  create: (ctx) => new LeanMode(ctx),
  provisionedMarker: LEAN_PROVISIONING,
  provision(ctx) {
    // lean mode with no local node does exactly the provisioning (keys, allow-list, HES
    // certificate), and nothing else
    const lean = new LeanMode({
      topology: ctx.topology,
      clock: new RealClock(),
      network: NO_NETWORK,
      metrics: NO_METRICS,
      random: new Random(0),
      meterFor: () => {
        throw new Error('provisioning reads no meter');
      },
      relayFor: () => undefined,
      computeFor: () => undefined,
      crypto: ctx.crypto,
      storeFor: stateStoreFor(ctx.stateDir),
      local: () => false,
      plc: () => ({ ...NO_AIRTIME, maxFrameBytes: 0 }),
      options: { ...ctx.options, manufacturer: stateManufacturer(ctx) },
    });
    saveLeanProvisioning(ctx.stateDir, { allowList: lean.allowList, manufacturerKey: lean.manufacturerPublicKey });
  },
  exportHostState: exportLeanHostState,
  loadHostState: loadLeanHostState,
};
