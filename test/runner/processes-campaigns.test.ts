/**
 * Campaigns under --processes: the attacker in the parent attacks through the broker's attack
 * port, the mode operations a campaign asks for run in the host processes, the goal oracle judges
 * what every host's nodes accepted, and refusals in other processes come back attributed to the
 * campaign and goal. One short run per mode on the real clock (about 50 s each on 2 cores), with a
 * timeline of the library's wire steps and a TypeScript campaign (programmatic interceptor, keys of
 * compromised nodes, a meter round and confidential messages run by the HES's process), and a
 * library campaign whose DCs are replaced by new units (lean, about 60 s).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcesses } from '../../bench/runner/processes';
import { runScenario } from '../../bench/runner/run';
import { loadScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-processes-campaigns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const timeline = [
  'name: wire',
  'goal: fresh_authentic_DC',
  'steps:',
  '  - { at: 0s, record: { id: commands, match: { link: plc:dc1, class: automation } } }',
  '  - { at: 0s, record: { id: records, match: { link: plc:dc1, direction: down, class: tls-record } } }',
  '  - { at: 1s, automation: { dc: dc1, relay: on } }',
  '  - { at: 5s, replay: { recording: commands, pick: all } }',
  '  - { at: 5s, replay: { recording: commands, pick: first, as: { from: dc2, to: "*" } } }',
  '  - { at: 5s, replay: { recording: records, pick: last } }',
  '  - { at: 6s, interceptor: { id: flip, type: tamper, match: { link: plc:dc1, class: [automation, tls-record], direction: down }, config: { flipBits: 1, minOffset: 14 } } }',
  '  - { at: 7s, automation: { dc: dc1, relay: off } }',
  '  - { at: 10s, remove: flip }',
  '  - at: 11s',
  '    forge: { class: automation, signer: attacker, from: dc1, to: "*", fields: { dc: dc1, group: dc1, counter: 4000000000, relay: 1 } }',
  '  - { at: 11s, compromise: dc2 }',
  '  - at: 12s',
  '    forge: { class: automation, signer: dc2, from: dc1, to: "*", fields: { dc: dc1, group: dc1, counter: 4000000001, relay: 1 } }',
].join('\n');

// responses held back by a programmatic interceptor at the broker; keys of a compromised TN read
// nothing meant for another; confidential messages replayed to their TN and another
const module = `
export default async function (api) {
  const attacker = api.attacker('secure_HES_TN');
  const [recipient, other] = api.topology.tnsOf('dc1');
  const messages = attacker.record({ link: 'plc:dc1', class: 'confidential' });
  const records = attacker.record({ link: 'plc:dc1', direction: 'down', class: 'tls-record', to: recipient });
  await api.at(1_000);
  api.mode.confidential(recipient, new TextEncoder().encode('balance 12.50'));
  let held = 0;
  const silence = attacker.intercept({ link: 'plc:dc1', direction: 'up', from: other }, (frame, ctx) => { held++; ctx.drop(frame); });
  await api.mode.meterRound(3_000);
  silence();
  api.log('held ' + held);
  for (const f of records.frames.slice(-2)) attacker.replay(f);
  for (const f of messages.frames) {
    attacker.replay(f);
    attacker.replay(f, { from: 'dc1', to: other });
  }
  if (api.mode.keysOf) api.log('other holds keys ' + api.mode.keysOf(other).enc.publicKey.length);
}
`;

function scenario(mode: string): string {
  writeFileSync(join(dir, 'wire.yaml'), timeline);
  writeFileSync(join(dir, 'module.ts'), module);
  const file = join(dir, `campaigns-${mode}.yaml`);
  writeFileSync(
    file,
    [
      `name: campaigns-${mode}`,
      'seed: 5',
      `modes: [${mode}]`,
      'duration: 16s',
      'topology: { dcs: 2, tnsPerDc: 2 }',
      'channel: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
      'workload:',
      '  automation: [{ every: 4s, dc: all, relay: [on, off] }]',
      'campaigns: [wire.yaml, module.ts]',
    ].join('\n'),
  );
  return file;
}

describe('campaigns under --processes', () => {
  it.each(['lean', 'smgw-tls'])(
    '%s: the same verdicts as in process, refusals attributed to the goal',
    async (mode) => {
      const log: string[] = [];
      const file = scenario(mode);
      const inProcess = (await runScenario(loadScenario(file), { resultsRoot: join(dir, 'results') })).summary.modes[mode]!;
      const run = await runProcesses(loadScenario(file), { resultsRoot: join(dir, 'results'), log: (l) => log.push(l) });
      const processes = run.summary.modes[mode]!;
      expect(processes.failedSteps).toEqual([]);
      expect(processes.violations).toEqual([]);
      expect(inProcess.violations).toEqual([]);
      for (const goal of ['fresh_authentic_DC', 'secure_HES_TN']) {
        const [a, b] = [inProcess.attacks.byGoal[goal], processes.attacks.byGoal[goal]];
        expect(b?.accepted ?? 0).toBe(0);
        // the same attack frames, within the few a real clock's timing may add or miss
        expect(Math.abs((b?.injected ?? 0) - (a?.injected ?? 0))).toBeLessThanOrEqual(2);
        expect((b?.rejected ?? 0) > 0).toBe((a?.rejected ?? 0) > 0);
      }
      expect(processes.attacks.byGoal.fresh_authentic_DC!.injected).toBeGreaterThan(3);
      expect(log.some((l) => /campaign module: held [1-9]/.test(l))).toBe(true);
      if (mode === 'lean') {
        expect(processes.attacks.byGoal.fresh_authentic_DC!.rejected).toBeGreaterThan(5);
        expect(processes.attacks.byGoal.secure_HES_TN!.rejected).toBeGreaterThan(0);
        expect(log.some((l) => /campaign module: other holds keys [1-9]/.test(l))).toBe(true);
      }
    },
    240_000,
  );

  it('lean: replace works across processes - the HES in its own process admits the new unit, the TNs of a new DC enrol again', async () => {
    const file = join(dir, 'replace.yaml');
    writeFileSync(
      file,
      [
        'name: replace',
        'seed: 7',
        'modes: [lean]',
        'duration: 45s',
        'topology: { dcs: 2, tnsPerDc: 2 }',
        'channel: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
        'workload:',
        '  automation: [{ every: 10s, dc: all, relay: [on, off] }]',
        'campaigns: [authentic-certs-dc]',
      ].join('\n'),
    );
    const log: string[] = [];
    const run = await runProcesses(loadScenario(file), { resultsRoot: join(dir, 'results'), log: (l) => log.push(l) });
    const lean = run.summary.modes.lean!;
    expect(lean.failedSteps).toEqual([]);
    expect(lean.violations).toEqual([]);
    expect(log.some((l) => /dc1 and its TNs enrolled with the genuine chain/.test(l))).toBe(true);
    expect(lean.attacks.byGoal.authentic_certs_DC).toMatchObject({ accepted: 0 });
    expect(lean.attacks.byGoal.authentic_certs_DC!.rejected).toBeGreaterThan(3);
    expect(run.exitCode).toBe(0);
  }, 240_000);
});
