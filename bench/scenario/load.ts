/**
 * Loads and checks a scenario file through core/config.ts. Every problem is one ConfigError whose
 * message starts with the file and the field path: `bench/scenarios/x.yaml: topology.tnsPerDc: expected ...`.
 */
import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { PRESETS } from '../../channel/presets';
import { resolveProfile, ProfileError } from '../../channel/profile';
import { ConfigError, configErrorOf, parseConfigText, readConfigText } from '../../core/config';
import { Topology } from '../../core/topology';
import { parseThresholds, ThresholdError } from '../thresholds';
import { readTimeline } from '../campaign/load';
import { resolveCampaignPath } from '../campaign/resolve';
import { scenarioSchema, type Scenario } from './schema';

/** A scenario's name: its own, else its file's without the extension. */
const scenarioName = (name: string | undefined, file: string): string => name ?? basename(file, extname(file));

export function loadScenario(file: string): Scenario {
  return parseScenario(readConfigText(file, 'scenario'), file);
}

/**
 * What a run of the scenario in `file` holds, without building its topology (a million TNs' ids):
 * its name, TNs and modes, enough to size its heap before the run (bench/cli/heap-limit.ts).
 * Undefined for a file loadScenario refuses, which then says why.
 */
export function scenarioSize(file: string): (Pick<Scenario, 'name' | 'modes'> & { readonly tns: number }) | undefined {
  try {
    const parsed = scenarioSchema.safeParse(parseConfigText(readConfigText(file, 'scenario'), file));
    if (!parsed.success) return undefined;
    const s = parsed.data;
    return { name: scenarioName(s.name, file), modes: s.modes, tns: s.topology.dcs * s.topology.tnsPerDc };
  } catch {
    return undefined;
  }
}

export function parseScenario(text: string, file: string): Scenario {
  const raw = parseConfigText(text, file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(file, '(root)', 'expected a YAML mapping at the top level');
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw configErrorOf(file, parsed.error);
  const s = parsed.data;
  const fail = (path: string, message: string): never => {
    throw new ConfigError(file, path, message);
  };

  const topology = Topology.build(s.topology.dcs, s.topology.tnsPerDc);
  const isTn = (id: string) => topology.roleOf(id) === 'tn';
  const isDc = (id: string) => topology.roleOf(id) === 'dc';
  const example = `${topology.tns[0]}..${topology.tns.at(-1)}`;
  s.boards.forEach((b, i) => {
    if (!isTn(b.tn)) fail(`boards.${i}.tn`, `"${b.tn}" is not a TN of this topology (${example})`);
    if (b.kind === 'real' && !existsSync(b.port)) fail(`boards.${i}.port`, `serial path ${b.port} does not exist`);
  });
  const boardTns = s.boards.map((b) => b.tn);
  const twice = boardTns.find((tn, i) => boardTns.indexOf(tn) !== i);
  if (twice) fail('boards', `${twice} has two boards`);
  for (const tn of Object.keys(s.compute.tns)) if (!isTn(tn)) fail(`compute.tns.${tn}`, `not a TN of this topology (${example})`);
  s.workload.automation.forEach((a, i) => {
    if (a.dc !== 'all' && !isDc(a.dc))
      fail(`workload.automation.${i}.dc`, `"${a.dc}" is not a DC of this topology (dc1..dc${s.topology.dcs}, or all)`);
  });
  s.workload.confidential.forEach((c, i) => isTn(c.tn) || fail(`workload.confidential.${i}.tn`, `"${c.tn}" is not a TN of this topology`));
  s.events.forEach(
    (e, i) => isDc(e.powerRestored) || fail(`events.${i}.powerRestored`, `"${e.powerRestored}" is not a DC (segment) of this topology`),
  );

  const hasRealBoard = s.boards.some((b) => b.kind === 'real' || b.kind === 'emulated');
  if (s.boards.some((b) => b.kind === 'emulated') && s.clock === 'virtual')
    fail('clock', 'a scenario with emulated boards runs on the real clock (their serial ports are ptys)');
  if (hasRealBoard && s.clock === 'virtual') fail('clock', 'a scenario with real boards runs on the real clock');
  const clock = s.clock ?? (hasRealBoard ? 'real' : 'virtual');

  try {
    if (s.channel.wan) resolveProfile(s.channel.wan, PRESETS, 'channel.wan');
    if (s.channel.plc) resolveProfile(s.channel.plc, PRESETS, 'channel.plc');
    for (const [link, spec] of Object.entries(s.channel.overrides ?? {})) {
      const [kind, dc] = link.split(':');
      if ((kind !== 'wan' && kind !== 'plc') || !dc || !isDc(dc))
        fail(`channel.overrides.${link}`, 'expected a link such as plc:dc1 or wan:dc2');
      resolveProfile({ ...(kind === 'plc' ? s.channel.plc : s.channel.wan), ...spec }, PRESETS, `channel.overrides.${link}`);
    }
    parseThresholds(s.thresholds);
  } catch (err) {
    if (err instanceof ThresholdError) throw new ConfigError(file, err.field, err.expected, { cause: err });
    if (err instanceof ProfileError) {
      // a profile error reads "field: what was expected"
      const at = err.message.indexOf(': ');
      throw new ConfigError(file, err.message.slice(0, at), err.message.slice(at + 2), { cause: err });
    }
    throw err;
  }
  s.campaigns.forEach((c, i) => {
    try {
      const path = resolveCampaignPath(c, file);
      if (!path.endsWith('.ts')) readTimeline(path, topology);
    } catch (err) {
      fail(`campaigns.${i}`, (err as Error).message);
    }
  });
  return { ...s, name: scenarioName(s.name, file), clock, file };
}
