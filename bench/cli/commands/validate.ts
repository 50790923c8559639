/** gridbench validate SCENARIO: loads and checks a scenario (and its campaigns) without running it. */
import { loadScenario } from '../../scenario/load';
import { formatDuration } from '../../scenario/units';
import { EXIT, parseCommandArgs, usageError, type Command } from '../command';

const USAGE = 'usage: gridbench validate SCENARIO';

export const command: Command = {
  summary: 'check a scenario file and its campaigns; exit 1 naming the first problem',
  async run(argv) {
    const parsed = parseCommandArgs('validate', USAGE, {
      args: argv,
      allowPositionals: true,
      options: { help: { type: 'boolean', default: false } },
    });
    if (typeof parsed === 'number') return parsed;
    if (parsed.positionals.length !== 1) return usageError('validate', USAGE, 'expected one scenario file');
    try {
      const s = loadScenario(parsed.positionals[0]!);
      console.log(
        `${s.file}: ok: ${s.name}, modes ${s.modes.join(' + ')}, ${s.topology.dcs} DCs x ${s.topology.tnsPerDc} TNs, ${s.boards.length} boards, ` +
          `${formatDuration(s.duration)} on the ${s.clock} clock, ${s.campaigns.length} campaigns, ${Object.keys(s.thresholds).length} thresholds`,
      );
      return EXIT.ok;
    } catch (err) {
      console.error(`gridbench validate: ${(err as Error).message}`);
      return EXIT.error;
    }
  },
};
