/**
 * `gridbench attack search`: a Dolev-Yao attacker that searches (issue 11). Each trial draws a
 * bounded sequence of moves (search-space.ts) from a seeded stream and runs it as a campaign over
 * the real node code, on the virtual clock, through the runner's own mode run (bench/runner/run.ts),
 * on a small scenario; after every run it reads the goal oracle's violations. A violating sequence
 * is shrunk (shrink.ts) to one where no move can go, and written as a campaign YAML with a
 * scenario that reproduces it with `gridbench run` (emit.ts).
 */
import { parseScenario } from '../scenario/load';
import type { Scenario } from '../scenario/schema';
import { campaignSchema, type CampaignFile } from '../campaign/schema';
import { checkTimeline } from '../campaign/timeline';
import type { LoadedCampaign } from '../campaign/load';
import type { CampaignGoal } from '../campaign/goals';
import type { Sample } from '../../core/metrics';
import { runMode, type RunOptions } from '../runner/run';
import { Random } from '../../core/random';
import { Topology } from '../../core/topology';
import type { ModeName } from '../../nodes/modes';
import type { Goal, Violation } from '../../nodes/oracle/goal-oracle';
import { drawTrial, stepsOf, type RawStep, type Trial } from './search-space';

/** The scenario every trial runs on: small, virtual clock, meter rounds every minute. */
export function searchScenarioText(mode: ModeName, seed: number, campaignFile?: string): string {
  return `# Written by gridbench attack search: the scenario its trials ran on, with the campaign it found.
name: attack-search
seed: ${seed}
modes: [${mode}]
clock: virtual
duration: ${SEARCH_DURATION_S}s
topology: { dcs: 2, tnsPerDc: 2 }
channel:
  wan: { preset: pass-through }
  plc: { preset: pass-through }
workload:
  meterRounds: { every: 1m, first: 20s, timeout: 50s }
campaigns: [${campaignFile ?? ''}]
thresholds:
  attack_accepted: ["count==0"]
`;
}

/** Simulated run time of a trial; moves come at most HORIZON_S into it. */
export const SEARCH_DURATION_S = 330;
const HORIZON_S = 240;

export interface TrialResult {
  readonly violations: readonly Violation[];
  /** Steps that threw (a move the mode cannot take is a failed trial, not a finding). */
  readonly failed: number;
  /** Frames the trial's attacker put on the wire. */
  readonly injected: number;
}

export interface Finding {
  readonly goal: Goal;
  /** Trial number (0-based) and wall time from the start of the search when it was found. */
  readonly trial: number;
  readonly foundAfterMs: number;
  readonly violation: Violation;
  /** The shrunk steps, and how many moves the trial had before shrinking. */
  readonly steps: readonly RawStep[];
  readonly movesBefore: number;
  readonly movesAfter: number;
  readonly campaign: string;
}

export interface SearchOptions {
  readonly mode: ModeName;
  readonly seed: number;
  readonly budgetMs: number;
  /** Stop after this many trials even if budget is left (tests: a fixed number of trials is deterministic). */
  readonly maxTrials?: number;
  /** Passed to every run (tests break a node with onMode). */
  readonly runOptions?: Pick<RunOptions, 'onMode'>;
  /** Moves per trial at most, after the opening honest traffic (default 8). */
  readonly depth?: number;
  /** Stop at the first goal violated (default: go on looking for other goals until the budget is spent). */
  readonly stopAtFirst?: boolean;
  readonly log?: (line: string) => void;
  /** Called with each finding as soon as it is shrunk (the CLI writes its files then). */
  readonly onFinding?: (f: Finding) => void;
}

export interface SearchReport {
  readonly mode: ModeName;
  readonly seed: number;
  readonly trials: number;
  readonly wallMs: number;
  readonly trialsPerMinute: number;
  readonly findings: readonly Finding[];
}

export class TrialRunner {
  private readonly scenario: Scenario;
  readonly topology: Topology;
  runs = 0;

  constructor(
    readonly mode: ModeName,
    readonly seed: number,
    private readonly runOptions: Pick<RunOptions, 'onMode'> = {},
  ) {
    this.scenario = parseScenario(searchScenarioText(mode, seed), 'attack-search.yaml');
    this.topology = Topology.build(this.scenario.topology.dcs, this.scenario.topology.tnsPerDc);
  }

  /** The campaign of a sequence of steps; undefined when it is not a valid timeline (a shrink removed what a step needs). */
  campaign(steps: readonly RawStep[], goal: CampaignGoal = 'availability'): CampaignFile | undefined {
    const parsed = campaignSchema.safeParse({ name: 'attack-search', goal, steps });
    if (!parsed.success) return undefined;
    return checkTimeline(parsed.data, this.topology).length ? undefined : parsed.data;
  }

  /** Runs the steps as one campaign whose frames count against `goal`. */
  async run(steps: readonly RawStep[], goal: CampaignGoal = 'availability'): Promise<TrialResult | undefined> {
    const timeline = this.campaign(steps, goal);
    if (!timeline) return undefined;
    this.runs++;
    let injected = 0;
    const count = (sample: Sample) => {
      if (sample.measurement === 'attack') injected += Number(sample.fields.injected ?? 0);
    };
    const loaded: LoadedCampaign = { name: 'attack-search', file: 'attack-search.yaml', thresholds: {}, timeline };
    const facts = await runMode(this.mode, this.scenario, `search-${this.runs}`, [loaded], count, this.runOptions);
    return { violations: facts.violations ?? [], failed: facts.failedSteps?.length ?? 0, injected };
  }
}

/** Runs trials until the budget is spent; each violated goal is shrunk and reported once. */
export async function searchAttacks(options: SearchOptions): Promise<SearchReport> {
  const { mode, seed, budgetMs, log = () => {} } = options;
  const runner = new TrialRunner(mode, seed, options.runOptions);
  const space = { topology: runner.topology, keys: mode === 'lean', depth: options.depth ?? 8, horizonS: HORIZON_S };
  const random = new Random(seed).fork(`attack-search/${mode}`);
  const started = Date.now();
  const findings: Finding[] = [];
  const found = new Set<Goal>();
  let trials = 0;
  while (Date.now() - started < budgetMs && trials < (options.maxTrials ?? Infinity)) {
    const trial = drawTrial(space, random.fork(`trial/${trials}`));
    const n = trials++;
    const result = await runner.run(stepsOf(trial));
    const fresh = result?.violations.find((v) => !found.has(v.goal));
    if (!fresh) continue;
    const foundAfterMs = Date.now() - started;
    log(
      `trial ${n} (${(foundAfterMs / 1000).toFixed(1)} s): ${fresh.goal} violated: ${fresh.detail}; shrinking ${trial.moves.length} moves`,
    );
    const shrunk = await shrink(runner, trial, fresh.goal);
    // short: the campaign's interceptors are named `<campaign>:<goal>:<id>`, at most 64 characters
    const campaign = `search-${mode}-${fresh.goal}-s${seed}`;
    const finding: Finding = {
      goal: fresh.goal,
      trial: n,
      foundAfterMs,
      violation: shrunk.violation ?? fresh,
      steps: shrunk.steps,
      movesBefore: trial.moves.length,
      movesAfter: shrunk.moves,
      campaign,
    };
    found.add(fresh.goal);
    findings.push(finding);
    options.onFinding?.(finding);
    if (options.stopAtFirst) break;
  }
  const wallMs = Date.now() - started;
  return { mode, seed, trials, wallMs, trialsPerMinute: Math.round((trials / wallMs) * 60_000), findings };
}

/**
 * Shrinks a violating trial: drops whole moves while the goal stays violated, then the recordings
 * nothing replays, then single steps (an interceptor's removal, a hold), to a fixpoint.
 */
async function shrink(runner: TrialRunner, trial: Trial, goal: Goal): Promise<{ steps: RawStep[]; moves: number; violation?: Violation }> {
  let violation: Violation | undefined;
  const violates = async (steps: RawStep[]) => {
    const r = await runner.run(steps);
    const v = r?.violations.find((x) => x.goal === goal);
    if (v) violation = v;
    return v !== undefined;
  };
  let moves = [...trial.moves];
  for (let i = moves.length - 1; i >= 0; i--) {
    const without = moves.filter((_, j) => j !== i);
    if (await violates(stepsOf({ records: trial.records, moves: without }))) moves = without;
  }
  let steps = stepsOf({ records: unusedRecordsDropped(trial.records, moves), moves });
  for (let changed = true; changed;) {
    changed = false;
    for (let i = steps.length - 1; i >= 0; i--) {
      const without = steps.filter((_, j) => j !== i);
      if (runner.campaign(without) && (await violates(without))) {
        steps = without;
        changed = true;
      }
    }
  }
  return { steps, moves: moves.length, ...(violation ? { violation } : {}) };
}

function unusedRecordsDropped(records: readonly RawStep[], moves: readonly Trial['moves'][number][]): RawStep[] {
  const text = JSON.stringify(moves);
  return records.filter((r) => text.includes(`"${(r.record as { id: string }).id}"`));
}
