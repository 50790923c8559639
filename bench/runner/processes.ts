import type { Scenario } from '../scenario/schema';
import type { RunOptions, RunResult } from './run';

export async function runProcesses(_scenario: Scenario, _options: RunOptions): Promise<RunResult> {
  throw new Error('--processes is being built');
}
