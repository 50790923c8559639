/**
 * Library campaigns that need the nodes' operations, run by gridbench campaign against a lab of
 * gridbench node processes and a broker on loopback (test/helpers/lab.ts), in both modes: the
 * attacker works from the broker's attack port, the operations (automation, a replacement, a
 * confidential message, a meter round; the operator issuing a smgw-tls TN's new credential and
 * registering it with the HES's host) go to the hosts over their operator channels, and the goal
 * oracle in the campaign process judges what the hosts' nodes accepted. The verdicts are compared
 * with the same scenario in process, as processes-campaigns.test.ts does for --processes.
 *
 * Where the real clock goes: about 20 s of process start-up and enrolment, then the campaigns at a
 * tenth of their times (campaignTimeScale 0.1); replaced-unit-keys holds the new unit back over a
 * 20 s meter round. The two labs and the in-process run go at once: about a minute.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../bench/runner/run';
import type { ModeSummary } from '../../bench/runner/summary';
import { loadScenario } from '../../bench/scenario/load';
import { injectedInRange } from '../helpers/injected-range';
import { gridbench, startLab } from '../helpers/lab';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-lab-operator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODES = ['lean', 'smgw-tls'] as const;
const HOSTS = ['hes', 'dc1', 'dc2', 'tns:dc1', 'tns:dc2'];
/**
 * What each lab runs, and for how long. smgw-tls has no node keys for replaced-unit-keys' attacker
 * (it injects nothing there) and its held-back new unit waits out a TLS retransmission timer: a
 * minute of real clock for no verdict; its replacement across hosts is replace-tn's.
 */
const LAB_CAMPAIGNS = {
  lean: { seconds: 40, campaigns: ['fresh-authentic-dc', 'replaced-unit-keys', './replace-tn.yaml'] },
  'smgw-tls': { seconds: 25, campaigns: ['fresh-authentic-dc', './replace-tn.yaml'] },
} as const;

function scenario(name: string, modes: readonly string[], durationS: number): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'seed: 5',
      `modes: [${modes.join(', ')}]`,
      // the lab's hosts run past the campaign's end; in process the campaigns end within 90 s
      `duration: ${durationS}s`,
      'topology: { dcs: 2, tnsPerDc: 2 }',
      'channel: { wan: { preset: lan }, plc: { preset: lan } }',
      'campaignTimeScale: 0.1',
      'workload:',
      '  meterRounds: { every: 12s, first: 2s, timeout: 10s }',
      '  automation: [{ every: 3s, dc: all, relay: [on, off] }]',
      'campaigns: [fresh-authentic-dc, replaced-unit-keys, ./replace-tn.yaml]',
    ].join('\n'),
  );
  return file;
}

interface Report {
  readonly injected: Record<string, number>;
  readonly rejected: Record<string, number>;
  readonly violations: readonly unknown[];
  readonly failedSteps: readonly unknown[];
  readonly incomplete: readonly string[];
  /** What the hosts handed the goal oracle, by kind (issued, sent, accepted, replaced). */
  readonly observed: Record<string, number>;
}

/** `<campaign>:<goal>` counts summed by goal, as the summary's per-goal rows count them. */
const byGoal = (counts: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(counts))
    out[key.slice(key.lastIndexOf(':') + 1)] = (out[key.slice(key.lastIndexOf(':') + 1)] ?? 0) + n;
  return out;
};

/** The same verdicts as in process: nothing accepted, no step failed, injected and rejected per goal in the same ranges. */
function expectSameVerdicts(inProcess: ModeSummary, lab: Report): void {
  expect(lab.violations).toEqual([]);
  expect(lab.incomplete).toEqual([]);
  // no violation among acceptances the oracle heard: the hosts' nodes' genuine traffic (automation,
  // meter rounds) reached it, sent and accepted, not nothing at all
  expect(lab.observed.sent ?? 0).toBeGreaterThan(0);
  expect(lab.observed.accepted ?? 0).toBeGreaterThan(0);
  expect(lab.failedSteps).toEqual([]);
  expect(inProcess.violations).toEqual([]);
  expect(inProcess.failedSteps).toEqual([]);
  const [injected, rejected] = [byGoal(lab.injected), byGoal(lab.rejected)];
  const attacked = Object.entries(inProcess.attacks.byGoal).filter(([, t]) => t && (t.injected > 0 || t.rejected > 0));
  expect(
    Object.keys(injected)
      .filter((g) => injected[g]! > 0 || rejected[g]! > 0)
      .sort(),
  ).toEqual(attacked.map(([g]) => g).sort());
  for (const [goal, a] of attacked) {
    expect({ goal, injected: injectedInRange(a!.injected, injected[goal] ?? 0) }).toEqual({
      goal,
      injected: true,
    });
    expect({ goal, rejected: (rejected[goal] ?? 0) > 0 }).toEqual({ goal, rejected: a!.rejected > 0 });
  }
}

describe('gridbench campaign against a lab, with the hosts operator channels', () => {
  it('runs campaigns that need the nodes operations in both modes, with the same verdicts as in process', async () => {
    // a TN of another segment than replaced-unit-keys' victim replaced early: in smgw-tls the
    // operator (gridbench campaign) issues its certificate and the HES's host admits it
    writeFileSync(
      join(dir, 'replace-tn.yaml'),
      ['name: replace-tn', 'goal: secure_TN_HES', 'steps:', '  - { at: 20s, replace: tn2.002 }'].join('\n'),
    );
    // in process on the virtual clock, while the labs' processes start
    const inProcessRun = runScenario(loadScenario(scenario('in-process', MODES, 90)), { resultsRoot: join(dir, 'results') });
    const runs = await Promise.all(
      MODES.map(async (mode) => {
        const file = scenario(`lab-${mode}`, [mode], 150);
        const lab = await startLab(join(dir, mode), file, mode, HOSTS);
        try {
          const { seconds, campaigns } = LAB_CAMPAIGNS[mode];
          const args = ['campaign', '--scenario', file, '--attack', lab.attack, '--mode', mode, '--duration', `${seconds}s`];
          const chosen = campaigns.flatMap((c) => ['--campaign', c]);
          // no --token: the campaign reads the attack port's token from the operator's state, as in the README
          const done = await gridbench([...args, ...chosen, '--state', lab.state, ...lab.hostArgs()]).ended;
          return { ...done, hosts: [...lab.hosts.values()] };
        } finally {
          await lab.stop();
        }
      }),
    );
    const inProcess = (await inProcessRun).summary;
    MODES.forEach((mode, i) => {
      const { code, out, hosts } = runs[i]!;
      expect(code, out).toBe(0);
      // a step cut short by the campaign's end would be logged, not failed: none is
      expect(out.split('\n').filter((l) => l.startsWith('gridbench campaign:') && /failed|still running|BREACH/.test(l))).toEqual([]);
      // the operator's side refused nothing the genuine hosts reported or asked for
      expect(out.split('\n').filter((l) => l.startsWith('gridbench campaign:') && /refused/.test(l))).toEqual([]);
      expectSameVerdicts(inProcess.modes[mode]!, JSON.parse(out.trim().split('\n').at(-1)!) as Report);
      // every host heard the operator, and refused nothing of it
      for (const h of hosts) expect(h.output()).toMatch(/operator channel: the operator said hello/);
      for (const h of hosts) expect(h.output()).not.toMatch(/operator channel: refused/);
    });
    // lean's replaced TN: the old unit's keys came from its host, and the response forged with them was refused
    expect(byGoal((JSON.parse(runs[0]!.out.trim().split('\n').at(-1)!) as Report).rejected).secure_TN_HES).toBeGreaterThan(0);
  }, 240_000);
});
