/**
 * Writes what the search found as files `gridbench run` takes: the shrunk moves as a campaign
 * YAML, and beside it the scenario the trials ran on, naming that campaign. Running the scenario
 * reproduces the violation (exit 99: its `attack_accepted` threshold fails).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ModeName } from '../../nodes/modes';
import { searchScenarioText, type Finding } from './search';

export interface EmittedFinding {
  readonly campaign: string;
  readonly scenario: string;
}

export function emitFinding(dir: string, mode: ModeName, seed: number, f: Finding): EmittedFinding {
  mkdirSync(dir, { recursive: true });
  const campaign = join(dir, `${f.campaign}.yaml`);
  const scenario = join(dir, `${f.campaign}.scenario.yaml`);
  const header = [
    `# Found by: gridbench attack search --mode ${mode} --seed ${seed} (trial ${f.trial}, ${(f.foundAfterMs / 1000).toFixed(1)} s into the search),`,
    `# shrunk from ${f.movesBefore} moves to ${f.movesAfter}. The oracle's verdict: ${f.violation.detail}`,
    `# Reproduce: gridbench run ${scenario}`,
  ].join('\n');
  const body = stringify({ name: `search-${mode}-s${seed}`, description: `${f.goal}: ${f.violation.detail}`, goal: f.goal });
  // one step a line, in YAML's flow style (JSON is YAML)
  const steps = f.steps.map((step) => `  - ${JSON.stringify(step)}`).join('\n');
  const thresholds = 'thresholds:\n  attack_accepted: ["count==0"]';
  writeFileSync(campaign, `${header}\n${body}steps:\n${steps}\n${thresholds}\n`);
  writeFileSync(scenario, searchScenarioText(mode, seed, `./${f.campaign}.yaml`));
  return { campaign, scenario };
}
