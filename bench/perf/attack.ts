/**
 * npm run perf:attack: attack volume. For each of the seven goals, in each mode, the searching
 * attacker's moves (bench/attack/search-space.ts) aimed at that goal: the honest traffic the goal
 * protects, recorded, then replayed in bulk to its own receivers and to every node of the segment,
 * spliced and relabelled; every frame goes through the real nodes on the virtual clock and the
 * goal oracle judges every acceptance. Runs until at least 100,000 attacker frames (over all goals
 * and modes) were injected, and prints per goal: frames injected, frames per minute of wall time,
 * violations (0 on correct code).
 *
 *   npm run perf:attack [-- --frames 100000 --modes lean,smgw-tls]
 */
import { parseArgs } from 'node:util';
import { MODE_NAMES, type ModeName } from '../../nodes/modes';
import { GOALS, type Goal } from '../../nodes/oracle/goal-oracle';
import { TrialRunner } from '../attack/search';
import { recordSteps, type RawStep } from '../attack/search-space';
import { report, round } from './measure';

/** The honest traffic a goal protects (meter rounds come from the search scenario's workload), and its recording. */
const TARGETS: Record<Goal, { honest: (mode: ModeName) => RawStep[]; group: (mode: ModeName) => string }> = {
  authentic_certs_DC: { honest: () => [{ at: '10s', replace: 'dc1' }], group: (m) => (m === 'lean' ? 'enrolment' : 'tls') },
  authentic_certs_TN: { honest: () => [{ at: '10s', replace: 'tn1.001' }], group: (m) => (m === 'lean' ? 'enrolment' : 'tls') },
  fresh_authentic_HES: { honest: () => [], group: (m) => (m === 'lean' ? 'request' : 'tls') },
  secure_TN_HES: { honest: () => [], group: (m) => (m === 'lean' ? 'response' : 'tls') },
  secure_HES_TN: {
    honest: () => [
      { at: '10s', confidential: { tn: 'tn1.001', text: 'prepaid balance 12.50 EUR' } },
      { at: '12s', confidential: { tn: 'tn1.002', text: 'tariff change at 22:00' } },
    ],
    group: (m) => (m === 'lean' ? 'confidential' : 'tls'),
  },
  fresh_authentic_DC: {
    honest: () => [
      { at: '10s', automation: { dc: 'dc1', relay: 'off' } },
      { at: '12s', automation: { dc: 'dc1', relay: 'on' } },
    ],
    group: (m) => (m === 'lean' ? 'automation' : 'tls'),
  },
  fresh_authentic_FW: {
    honest: () => [
      { at: '10s', firmware: { version: 2, size: '1KiB', timeout: '2m' } },
      { at: '40s', firmware: { version: 3, size: '1KiB', timeout: '2m' } },
    ],
    group: (m) => (m === 'lean' ? 'firmware' : 'tls'),
  },
};

/** One run's attack on a goal: `times` bulk replays, to the recorded receivers and to every node of the segment. */
function attackSteps(mode: ModeName, goal: Goal, runner: TrialRunner, times: number): RawStep[] {
  const recording = `${TARGETS[goal].group(mode)}-dc1`;
  const records = recordSteps(runner.topology).filter((r) => (r.record as { id: string }).id === recording);
  const moves: RawStep[] = [
    { at: '90s', replay: { recording, pick: 'all', times } },
    { at: '95s', replay: { recording, pick: 'all', times, as: { from: 'dc1', to: '*' } } },
    { at: '100s', replay: { recording, pick: 'all', times, as: { from: 'dc1', to: 'tn1.002' } } },
  ];
  for (let i = 0; i < 20; i++) {
    moves.push({ at: `${105 + i}s`, splice: { head: recording, tail: recording, at: 2 + i * 3, from: 'dc1', to: '*' } });
    moves.push({
      at: `${105 + i}s`,
      relabel: { recording, class: ['automation', 'meter-request', 'confidential', 'firmware-manifest'][i % 4]!, from: 'dc1', to: '*' },
    });
  }
  return [...records, ...TARGETS[goal].honest(mode), ...moves];
}

interface GoalResult {
  injected: number;
  wallMs: number;
  runs: number;
  violations: number;
}

const { values } = parseArgs({
  options: { frames: { type: 'string', default: '100000' }, modes: { type: 'string', default: MODE_NAMES.join(',') } },
});
const target = Number(values.frames);
const modes = values.modes.split(',') as ModeName[];
const perGoalAndMode = Math.ceil(target / (GOALS.length * modes.length));
const results = new Map<string, GoalResult>();
const lines: string[] = [];
const started = Date.now();

for (const mode of modes) {
  const runner = new TrialRunner(mode, 1);
  for (const goal of GOALS) {
    const r: GoalResult = { injected: 0, wallMs: 0, runs: 0, violations: 0 };
    let times = 20;
    while (r.injected < perGoalAndMode && r.runs < 50) {
      const t0 = Date.now();
      const result = await runner.run(attackSteps(mode, goal, runner, times), goal);
      r.wallMs += Date.now() - t0;
      r.runs++;
      if (!result) throw new Error(`perf:attack: the ${goal} campaign is not a valid timeline`);
      r.injected += result.injected;
      r.violations += result.violations.length;
      for (const v of result.violations) lines.push(`${mode} ${goal}: VIOLATION ${v.goal}: ${v.detail}`);
      // aim the next run at what is left, from this run's frames per replay
      const perTimes = result.injected / times;
      if (perTimes > 0) times = Math.max(1, Math.min(5_000, Math.ceil((perGoalAndMode - r.injected) / perTimes)));
    }
    results.set(`${mode}/${goal}`, r);
    lines.push(`${mode} ${goal}: ${r.injected} frames in ${r.runs} runs, ${round(r.wallMs / 1000, 1)} s, ${r.violations} violations`);
  }
}

const byGoal = Object.fromEntries(
  GOALS.map((goal) => {
    const rs = modes.map((m) => results.get(`${m}/${goal}`)!);
    const injected = rs.reduce((s, r) => s + r.injected, 0);
    const wallMs = rs.reduce((s, r) => s + r.wallMs, 0);
    return [
      goal,
      {
        injected,
        framesPerMinute: round((injected / wallMs) * 60_000),
        violations: rs.reduce((s, r) => s + r.violations, 0),
        byMode: Object.fromEntries(
          modes.map((m, i) => [
            m,
            {
              injected: rs[i]!.injected,
              framesPerMinute: round((rs[i]!.injected / rs[i]!.wallMs) * 60_000),
              violations: rs[i]!.violations,
            },
          ]),
        ),
      },
    ];
  }),
);
const injected = [...results.values()].reduce((s, r) => s + r.injected, 0);
report(
  {
    benchmark: 'attack',
    clock: 'virtual (nodes and wire); rates per minute of wall time',
    modes,
    injected,
    violations: [...results.values()].reduce((s, r) => s + r.violations, 0),
    wallS: round((Date.now() - started) / 1000, 1),
    byGoal,
  },
  lines,
);
