/**
 * Loads and checks a scenario file. Every problem is one ScenarioError whose message starts with
 * the file and the field path: `bench/scenarios/x.yaml: topology.tnsPerDc: expected ...`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PRESETS } from '../../channel/presets';
import { describeZodIssues, resolveProfile, ProfileError } from '../../channel/profile';
import { Topology } from '../../core/topology';
import { parseThresholds, ThresholdError } from '../thresholds';
import { readTimeline } from '../campaign/load';
import { resolveCampaignPath } from '../campaign/resolve';
import { scenarioSchema, type Scenario } from './schema';

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export function loadScenario(file: string): Scenario {
  if (!existsSync(file)) throw new ScenarioError(`${file}: no such scenario file`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : '';
    throw new ScenarioError(`${file}: ${where}not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ScenarioError(`${file}: expected a YAML mapping at the top level`);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(`${file}: ${describeZodIssues(parsed.error)}`);
  const s = parsed.data;
  const fail = (path: string, message: string): never => {
    throw new ScenarioError(`${file}: ${path}: ${message}`);
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
    if (err instanceof ProfileError || err instanceof ThresholdError) throw new ScenarioError(`${file}: ${err.message}`);
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
  return { ...s, name: s.name ?? basename(file, extname(file)), clock, file };
}
