/**
 * THE one place the dashboard data tests get their data: short bench runs through the bench's
 * real entry point (runScenario in bench/runner/run.ts, what `gridbench run` calls), streaming
 * into a real InfluxDB with `--out influxdb=URL`. No samples are made up here: if a panel has no
 * data, the bench does not emit what the panel shows.
 *
 * The virtual-clock run is bench/scenarios/default.yaml (both modes, virtual boards, meter round,
 * automation, a power restoration storm, the replay and forgery campaigns) on a smaller topology
 * and 13 minutes long instead of 16, so that all of it fits the dashboard's default range (the
 * last 15 minutes; a longer run shows its end there, and all of it through its link). The
 * real-clock run is the same in seconds. In both, tn1.001's board resets during the run (its
 * virtual device restarts with the port open, as from its reset button).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Clock } from '../../core/clock';
import type { TnBoard } from '../../nodes/boards/board';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { runScenario, type RunResult } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';

export const SHORT_BENCH_SCENARIO = join(import.meta.dirname, '..', '..', 'bench', 'scenarios', 'default.yaml');
export const SHORT_BENCH_TNS_PER_DC = 10;
/** The dashboard's default time range: now-15m to now. */
export const DEFAULT_RANGE_MS = 15 * 60_000;

/** Resets tn1.001's virtual board `afterMs` after it is built, on the run's clock. */
function resetBoardAfter(afterMs: number) {
  return (_mode: string, boards: ReadonlyMap<string, TnBoard>, clock: Clock) => {
    const board = boards.get('tn1.001');
    if (!(board instanceof VirtualBoard)) throw new Error('the dashboard runs need a virtual board on tn1.001');
    clock.setTimer(afterMs, () => board.device.reset());
  };
}

export async function shortBenchRun(influxUrl: string, db: string, resultsRoot: string): Promise<RunResult> {
  const raw = parse(readFileSync(SHORT_BENCH_SCENARIO, 'utf8')) as { topology: { tnsPerDc: number }; duration: string };
  raw.topology.tnsPerDc = SHORT_BENCH_TNS_PER_DC;
  raw.duration = '13m';
  const scenario = parseScenario(stringify(raw), `${SHORT_BENCH_SCENARIO} (tnsPerDc ${SHORT_BENCH_TNS_PER_DC}, 13m)`);
  return runScenario(scenario, {
    out: [`influxdb=${influxUrl}/${db}`],
    resultsRoot,
    runId: `dashboards-${Date.now()}`,
    onBoards: resetBoardAfter(10 * 60_000),
  });
}

/** Attacks within seconds: a replay, a forgery, and the flood that counts against availability. */
const QUICK_ATTACKS = `name: quick-attacks
goal: fresh_authentic_DC
steps:
  - { at: 0s, record: { id: commands, match: { link: plc:dc1, class: automation } } }
  - { at: 0s, goal: fresh_authentic_HES, record: { id: tls-down, match: { link: plc:dc1, direction: down, class: tls-record } } }
  - { at: 2500ms, replay: { recording: commands, pick: all } }
  - { at: 2500ms, goal: fresh_authentic_HES, replay: { recording: tls-down, pick: last } }
  - at: 2500ms
    forge: { class: automation, signer: attacker, from: dc1, to: "*", fields: { dc: dc1, group: dc1, counter: 4000000000, relay: 1 } }
  - { at: 3s, goal: availability, flood: { from: tn1.002, to: tn1.003, frames: 3, over: 1s } }
`;

const REAL_CLOCK_SCENARIO = (campaign: string) => `name: dashboards-real
seed: 3
modes: [lean, smgw-tls]
clock: real
duration: 6s
topology: { dcs: 1, tnsPerDc: 3 }
boards:
  - { tn: tn1.001, kind: virtual }
channel:
  wan: { preset: dsl }
  plc: { preset: g3-plc-cenelec-a, loss: { p: 0 } }
workload:
  meterRounds: { at: 500ms, timeout: 5s }
  automation:
    - { every: 2s, first: 1s, dc: all, relay: [on, off] }
events:
  - { at: 1500ms, powerRestored: dc1 }
campaigns: [${campaign}]
`;

/** Both modes on the real clock in seconds, with every kind of sample and event the dashboard shows. */
export async function realClockRun(influxUrl: string, db: string, resultsRoot: string): Promise<RunResult> {
  const dir = mkdtempSync(join(resultsRoot, 'scenario-'));
  writeFileSync(join(dir, 'quick-attacks.yaml'), QUICK_ATTACKS);
  const file = join(dir, 'dashboards-real.yaml');
  writeFileSync(file, REAL_CLOCK_SCENARIO('./quick-attacks.yaml'));
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  return runScenario(scenario, {
    out: [`influxdb=${influxUrl}/${db}`],
    resultsRoot,
    runId: `dashboards-real-${Date.now()}`,
    onBoards: resetBoardAfter(2_500),
  });
}
