/**
 * Every campaign of the library (bench/campaigns/) runs against both modes with its own
 * thresholds, on a small topology: the run must pass them (exit 0), the attacker must really have
 * put frames on the wire, and nothing it sent may be accepted. A campaign step that fails, at
 * once or later (an awaited rollout), is reported with its campaign and step and fails the run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CAMPAIGN_LIBRARY } from '../../bench/campaign/resolve';
import { runScenario } from '../../bench/runner/run';
import { summaryTable } from '../../bench/runner/summary-table';
import { loadScenario } from '../../bench/scenario/load';
import { LeanMode } from '../../nodes/lean/lean-mode';

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
  'firmware-before-enrolment': 'fresh_authentic_FW',
  'replaced-unit-keys': 'secure_TN_HES',
  'hes-host-compromise': 'authentic_certs_TN',
  'firmware-forged-pieces': 'fresh_authentic_FW',
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
  it('has a campaign per security goal and per attack issue 11 found, jamming, flooding, a renegotiation storm, replay and forgery', () => {
    const names = library.map((f) => f.replace(/\.\w+$/, '')).sort();
    expect(names).toEqual(
      [...Object.keys(GOAL_OF), 'jamming', 'flooding', 'renegotiation-storm', 'replay', 'forgery', 'forged-open'].sort(),
    );
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

describe('campaign steps that fail', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are awaited, and a rollout that rejects and a module that throws are named in the log, summary.json and the table; the run fails', async () => {
    vi.spyOn(LeanMode.prototype, 'firmware').mockRejectedValue(new Error('rollout refused'));
    const timeline = join(dir, 'rollout.yaml');
    writeFileSync(
      timeline,
      [
        'name: rollout',
        'steps:',
        '  - { at: 5s, record: { id: fw, match: { class: firmware-manifest } } }',
        '  - { at: 10s, firmware: { version: 2, size: 1KiB } }',
      ].join('\n'),
    );
    const module = join(dir, 'gives-up.ts');
    writeFileSync(module, "export default async function (api) {\n  await api.sleep(3_000);\n  throw new Error('module gave up');\n}\n");
    const scenario = join(dir, 'failing-steps.yaml');
    writeFileSync(
      scenario,
      [
        'name: failing-steps',
        'modes: [lean]',
        'duration: 1m',
        'topology: { dcs: 1, tnsPerDc: 2 }',
        `campaigns: [${timeline}, ${module}]`,
      ].join('\n'),
    );
    const log: string[] = [];
    const result = await runScenario(loadScenario(scenario), { resultsRoot: join(dir, 'results'), log: (line) => log.push(line) });

    const failed = [
      { campaign: 'gives-up', step: null, kind: 'module', atMs: 3_000, error: 'module gave up' },
      { campaign: 'rollout', step: 1, kind: 'firmware', atMs: 10_000, error: 'rollout refused' },
    ];
    expect(result.summary.modes.lean!.failedSteps).toEqual(failed);
    expect(JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8')).modes.lean.failedSteps).toEqual(failed);
    expect(log).toContain('campaign rollout, step 1 (firmware) failed: rollout refused');
    expect(log.some((line) => line.startsWith('campaign gives-up failed: Error: module gave up'))).toBe(true);
    const table = summaryTable(result.summary);
    expect(table).toContain('FAILED lean: campaign rollout, step 1 (firmware) at 10 s: rollout refused');
    expect(table).toContain('FAILED lean: campaign gives-up, module at 3 s: module gave up');
    expect(result.summary.thresholds).toEqual([]);
    expect(result.summary.ok).toBe(false);
    expect(result.exitCode).toBe(99);
  });

  it('waits with api.until for what a recording needs: true at the frame that makes it hold, false at its scaled bound, logged', async () => {
    const module = join(dir, 'waits.ts');
    writeFileSync(
      module,
      [
        'export default async function (api) {',
        "  const attacker = api.attacker('fresh_authentic_DC');",
        "  const commands = attacker.record({ link: 'plc:dc1', class: 'automation' });",
        "  const secrets = attacker.record({ link: 'plc:dc1', class: 'confidential' });",
        '  const start = api.clock.now();',
        "  const seen = await api.until(() => commands.frames.length > 0, { within: 60_000, what: 'a command' });",
        '  api.log(`command ${seen} after ${api.clock.now() - start} ms, recorded at ${commands.frames[0].time - start} ms`);',
        '  const before = api.clock.now();',
        "  const none = await api.until(() => secrets.frames.length > 0, { within: 50_000, what: 'a confidential message' });",
        '  api.log(`confidential ${none} after ${api.clock.now() - before} ms`);',
        '}',
      ].join('\n'),
    );
    const scenario = join(dir, 'waits.yaml');
    writeFileSync(
      scenario,
      [
        'name: waits',
        'modes: [lean]',
        'duration: 1m',
        'topology: { dcs: 1, tnsPerDc: 2 }',
        'campaignTimeScale: 0.1',
        'workload: { automation: [{ every: 30s, first: 2500ms, dc: dc1, relay: [on, off] }] }',
        `campaigns: [${module}]`,
      ].join('\n'),
    );
    const log: string[] = [];
    await runScenario(loadScenario(scenario), { resultsRoot: join(dir, 'results'), log: (line) => log.push(line) });
    // event driven: it resolves at the recorded frame's time (virtual clock), not at a poll's
    const seen = log.map((l) => /^campaign waits: command true after ([\d.]+) ms, recorded at ([\d.]+) ms$/.exec(l)).find(Boolean);
    expect(seen, log.join('\n')).toBeDefined();
    expect(Number(seen![1])).toBe(Number(seen![2]));
    expect(Number(seen![1])).toBeGreaterThanOrEqual(2_500); // the first command, at 2.5 s: between any whole-second polls
    // nothing confidential in this run: false at 50 s scaled by 0.1, and the log says what was missing
    expect(log).toContain('campaign waits: a confidential message: not there within 5000 ms; going on without it');
    expect(log).toContain('campaign waits: confidential false after 5000 ms');
  });
});
