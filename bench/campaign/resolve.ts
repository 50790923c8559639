import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/campaigns/, the shipped campaign library. */
export const CAMPAIGN_LIBRARY = join(dirname(fileURLToPath(import.meta.url)), '..', 'campaigns');

/**
 * A campaign reference from a scenario: a library name (bench/campaigns/<name>.yaml or .ts) or a
 * path, relative to the scenario file. Throws naming what was looked for.
 */
export function resolveCampaignPath(ref: string, scenarioFile: string): string {
  const candidates = /[/\\]|\.(ya?ml|ts)$/.test(ref)
    ? [resolve(dirname(scenarioFile), ref), resolve(ref)]
    : [join(CAMPAIGN_LIBRARY, `${ref}.yaml`), join(CAMPAIGN_LIBRARY, `${ref}.ts`)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`campaign "${ref}" not found (looked for ${candidates.join(', ')})`);
  return found;
}
