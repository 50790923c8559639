/**
 * gridbench attack search: the searching attacker (bench/attack/search.ts). Runs seeded trials of
 * attack moves over the real node code on the virtual clock until the budget is spent, and writes
 * each goal it violated as a shrunk campaign with a scenario that reproduces it. Exit 0 when no
 * goal was violated, 99 when one was, 1 on an error.
 */
import { MODE_NAMES, type ModeName } from '../../../nodes/modes';
import { emitFinding } from '../../attack/emit';
import { searchAttacks } from '../../attack/search';
import { parseDuration } from '../../scenario/units';
import { EXIT, parseCommandArgs, usageError, type Command } from '../command';

const USAGE = `usage: gridbench attack search [--budget DURATION] [--seed N] [--mode ${MODE_NAMES.join('|')}|all] [--depth N] [--out DIR] [--stop-at-first]

  --budget 10m       wall time per mode (default 1m)
  --seed N           the search's seed (default 1): the same seed draws the same trials
  --mode M           one mode, or all of them one after the other (default all)
  --depth N          moves per trial at most, after the opening honest traffic (default 8)
  --out DIR          where the campaigns go (default results/attack-search)
  --stop-at-first    stop a mode's search at its first violation`;

export const command: Command = {
  summary: 'search for attack sequences that violate a goal; write each as a campaign that reproduces it',
  async run(argv) {
    const parsed = parseCommandArgs('attack', USAGE, {
      args: argv,
      allowPositionals: true,
      options: {
        budget: { type: 'string', default: '1m' },
        seed: { type: 'string', default: '1' },
        mode: { type: 'string', default: 'all' },
        depth: { type: 'string', default: '8' },
        out: { type: 'string', default: 'results/attack-search' },
        'stop-at-first': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1 || positionals[0] !== 'search') return usageError('attack', USAGE, 'expected the subcommand "search"');
    const budgetMs = parseDuration(values.budget);
    if (budgetMs === undefined || budgetMs <= 0)
      return usageError('attack', USAGE, `--budget: expected a duration such as 30s or 10m, got "${values.budget}"`);
    if (!/^\d+$/.test(values.seed)) return usageError('attack', USAGE, `--seed: expected a whole number, got "${values.seed}"`);
    if (!/^[1-9]\d?$/.test(values.depth)) return usageError('attack', USAGE, `--depth: expected 1 to 99, got "${values.depth}"`);
    const modes = values.mode === 'all' ? MODE_NAMES : [values.mode as ModeName];
    if (!modes.every((m) => MODE_NAMES.includes(m)))
      return usageError('attack', USAGE, `--mode: expected ${MODE_NAMES.join(', ')} or all, got "${values.mode}"`);
    const seed = Number(values.seed);
    let violated = 0;
    for (const mode of modes) {
      console.error(`gridbench attack search: ${mode}, seed ${seed}, budget ${values.budget}, depth ${values.depth}`);
      const report = await searchAttacks({
        mode,
        seed,
        budgetMs,
        depth: Number(values.depth),
        stopAtFirst: values['stop-at-first'],
        log: (line) => console.error(`  ${line}`),
        onFinding: (f) => {
          const files = emitFinding(values.out, mode, seed, f);
          console.log(
            `${mode}: ${f.goal} violated after ${(f.foundAfterMs / 1000).toFixed(1)} s (trial ${f.trial}), ${f.movesAfter} moves: ${f.violation.detail}\n  campaign: ${files.campaign}\n  reproduce: gridbench run ${files.scenario}`,
          );
        },
      });
      violated += report.findings.length;
      console.log(
        `${mode}: ${report.trials} trials in ${(report.wallMs / 1000).toFixed(0)} s (${report.trialsPerMinute} per minute), ${report.findings.length} goals violated`,
      );
    }
    return violated ? EXIT.thresholdFailed : EXIT.ok;
  },
};
