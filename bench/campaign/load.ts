/**
 * Reads a campaign: a YAML timeline (validated, and checked against the topology) or a TypeScript
 * module with a default export. Errors name the file and the step.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describeZodIssues } from '../../core/config';
import type { Topology } from '../../core/topology';
import type { CampaignModule, CampaignModuleExports } from './campaign-api';
import { parseThresholds } from '../thresholds';
import { resolveCampaignPath } from './resolve';
import { campaignSchema, type CampaignFile } from './schema';
import { checkTimeline } from './timeline';

export class CampaignError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CampaignError';
  }
}

export type LoadedCampaign = {
  readonly name: string;
  readonly file: string;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
} & ({ readonly timeline: CampaignFile } | { readonly module: CampaignModule });

const nameOf = (file: string) => file.replace(/^.*[/\\]/, '').replace(/\.(ya?ml|ts)$/, '');

/** A YAML campaign, validated and checked against the topology. Throws CampaignError. */
export function readTimeline(file: string, topology: Topology): CampaignFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CampaignError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = campaignSchema.safeParse(raw);
  if (!parsed.success) throw new CampaignError(`${file}: ${describeZodIssues(parsed.error)}`);
  const problems = checkTimeline(parsed.data, topology);
  if (problems.length) throw new CampaignError(`${file}: ${problems.join('; ')}`);
  try {
    parseThresholds(parsed.data.thresholds);
  } catch (err) {
    throw new CampaignError(`${file}: ${(err as Error).message}`);
  }
  return parsed.data;
}

export async function loadCampaign(ref: string, scenarioFile: string, topology: Topology): Promise<LoadedCampaign> {
  const file = resolveCampaignPath(ref, scenarioFile);
  if (!file.endsWith('.ts')) {
    const timeline = readTimeline(file, topology);
    return { name: timeline.name ?? nameOf(file), file, thresholds: timeline.thresholds, timeline };
  }
  const mod = (await import(pathToFileURL(file).href)) as Partial<Record<keyof CampaignModuleExports, unknown>>;
  if (typeof mod.default !== 'function') throw new CampaignError(`${file}: expected a default export function (api: CampaignApi)`);
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
