/**
 * Reads a campaign: a YAML timeline (through core/config.ts, validated, and checked against the
 * topology) or a TypeScript module with a default export. Every problem is a ConfigError naming
 * the file and the step: `replay.yaml: steps.3.replay.recording: no earlier record step "x"`.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../../core/config';
import type { Topology } from '../../core/topology';
import { parseThresholds, ThresholdError } from '../thresholds';
import type { CampaignModule, CampaignModuleExports } from './campaign-api';
import { resolveCampaignPath } from './resolve';
import { campaignSchema, type CampaignFile } from './schema';
import { checkTimeline } from './timeline';

export type LoadedCampaign = {
  readonly name: string;
  readonly file: string;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
} & ({ readonly timeline: CampaignFile } | { readonly module: CampaignModule });

const nameOf = (file: string) => file.replace(/^.*[/\\]/, '').replace(/\.(ya?ml|ts)$/, '');

/** A YAML campaign, validated and checked against the topology. Throws ConfigError. */
export function readTimeline(file: string, topology: Topology): CampaignFile {
  const timeline = loadConfig(campaignSchema, file, 'campaign');
  const [first, ...rest] = checkTimeline(timeline, topology);
  if (first) throw new ConfigError(file, first.field, [first.message, ...rest.map((p) => `${p.field}: ${p.message}`)].join('; '));
  try {
    parseThresholds(timeline.thresholds);
  } catch (err) {
    if (err instanceof ThresholdError) throw new ConfigError(file, err.field, err.expected, { cause: err });
    throw err;
  }
  return timeline;
}

export async function loadCampaign(ref: string, scenarioFile: string, topology: Topology): Promise<LoadedCampaign> {
  const file = resolveCampaignPath(ref, scenarioFile);
  if (!file.endsWith('.ts')) {
    const timeline = readTimeline(file, topology);
    return { name: timeline.name ?? nameOf(file), file, thresholds: timeline.thresholds, timeline };
  }
  const mod = (await import(pathToFileURL(file).href)) as Partial<Record<keyof CampaignModuleExports, unknown>>;
  if (typeof mod.default !== 'function') throw new ConfigError(file, 'default', 'expected a default export function (api: CampaignApi)');
  const thresholds = (mod.thresholds ?? {}) as CampaignModuleExports['thresholds'] & object;
  return { name: typeof mod.name === 'string' ? mod.name : nameOf(file), file, thresholds, module: mod.default as CampaignModule };
}

/** The scenario's thresholds with every campaign's added (rules for one key are combined). */
export function mergeThresholds(
  base: Readonly<Record<string, readonly string[]>>,
  campaigns: readonly LoadedCampaign[],
): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const source of [base, ...campaigns.map((c) => c.thresholds)])
    for (const [key, rules] of Object.entries(source)) merged[key] = [...new Set([...(merged[key] ?? []), ...rules])];
  return merged;
}
