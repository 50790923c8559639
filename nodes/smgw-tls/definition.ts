/**
 * smgw-tls mode's registry entry (nodes/modes.ts): how the bench builds, provisions and hosts it,
 * and its scenario section (`smgw-tls: { maxAge, maxBytes, reconnect, curve, chainWithRoot }`).
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { ModeDefinition } from '../mode';
import type { TlsModeOptions } from './tls-config';
import { createTlsMode, type TlsMode } from './tls-mode';
import { exportTlsHostState, issueTlsReplacement, loadStatePki, provisionTlsPki, TLS_PKI_STORE } from './provisioning';

export const SMGW_TLS_MODE: ModeDefinition<TlsMode, TlsModeOptions> = {
  summary: 'a TLS 1.2 channel per TN (mutual ECDHE-ECDSA), renewed every 48 h or 5 MB, the BSI smart meter gateway baseline',
  scenarioSection: (units) =>
    z
      .object({
        maxAge: units.duration.default(48 * 3_600_000),
        maxBytes: units.size.default(5_000_000),
        reconnect: z.enum(['spread', 'synchronized']).default('spread'),
        curve: z.enum(['P-256', 'brainpoolP256r1']).default('P-256'),
        // Certificate messages carry the self-signed root too (tls-profile.ts); off: the peer trusts it already.
        chainWithRoot: z.boolean().default(false),
      })
      .strict()
      .prefault({})
      .transform(({ maxAge, maxBytes, reconnect, curve, chainWithRoot }) => ({
        curve,
        chainWithRoot,
        lifetime: { maxAgeMs: maxAge, maxBytes, reconnect },
      })),
  create: createTlsMode,
  provisionedMarker: join(TLS_PKI_STORE, 'pki.json'),
  provision: provisionTlsPki,
  exportHostState: exportTlsHostState,
  loadHostState: (ctx, local) => ({ pki: loadStatePki(ctx.stateDir, ctx.topology, local) }),
  issueReplacement: issueTlsReplacement,
};
