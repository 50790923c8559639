/**
 * Every campaign of the library (bench/campaigns/) runs against both modes with its own
 * thresholds, on a small topology: the run must pass them (exit 0), the attacker must really have
 * put frames on the wire, and nothing it sent may be accepted.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_LIBRARY } from '../../bench/campaign/resolve';
import { runScenario } from '../../bench/runner/run';
import { loadScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-campaigns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOAL_OF: Record<string, string> = {
  'authentic-certs-dc': 'authentic_certs_DC',
  'authentic-certs-tn': 'authentic_certs_TN',
  'fresh-authentic-hes': 'fresh_authentic_HES',
  'fresh-authentic-dc': 'fresh_authentic_DC',
  'fresh-authentic-fw': 'fresh_authentic_FW',
  'secure-tn-hes': 'secure_TN_HES',
  'secure-hes-tn': 'secure_HES_TN',
};

const library = readdirSync(CAMPAIGN_LIBRARY).filter((f) => /\.(ya?ml|ts)$/.test(f));

function scenarioWith(campaign: string): string {
  const file = join(dir, `${campaign.replace(/\.\w+$/, '')}.yaml`);
  writeFileSync(
    file,
    [
      `name: campaign-${campaign.replace(/\.\w+$/, '')}`,
      'seed: 5',
      'modes: [lean, smgw-tls]',
      'duration: 11m',
      'topology: { dcs: 2, tnsPerDc: 4 }',
      'channel: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
      'workload:',
      '  meterRounds: { every: 2m, first: 20s, timeout: 1m }',
      '  automation: [{ every: 30s, dc: all, relay: [on, off] }]',
      `campaigns: [${join(CAMPAIGN_LIBRARY, campaign)}]`,
    ].join('\n'),
  );
  return file;
}

describe('the campaign library', () => {
  it('has one campaign per security goal, jamming, flooding, a renegotiation storm, replay and forgery', () => {
    const names = library.map((f) => f.replace(/\.\w+$/, '')).sort();
    expect(names).toEqual([...Object.keys(GOAL_OF), 'jamming', 'flooding', 'renegotiation-storm', 'replay', 'forgery'].sort());
  });

  it.each(library)('%s runs in both modes and its thresholds hold', async (campaign) => {
    const result = await runScenario(loadScenario(scenarioWith(campaign)), { resultsRoot: join(dir, 'results') });
    const failed = result.summary.thresholds.filter((t) => !t.ok);
    expect(failed).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.summary.thresholds.length).toBeGreaterThan(0);
    const { lean, 'smgw-tls': tls } = result.summary.modes;
    expect(lean!.attacks.accepted + tls!.attacks.accepted).toBe(0);
    const goal = GOAL_OF[campaign.replace(/\.\w+$/, '')];
    if (goal) {
      const outcome = lean!.attacks.byGoal[goal]!;
      expect(outcome.injected).toBeGreaterThan(0);
      expect(outcome.rejected).toBeGreaterThan(0);
      expect(outcome.accepted).toBe(0);
    } else {
      expect(lean!.attacks.injected + tls!.attacks.injected + lean!.storms.length + tls!.storms.length).toBeGreaterThan(0);
    }
  });
});
