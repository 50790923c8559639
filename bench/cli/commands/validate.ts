/** gridbench validate SCENARIO: loads and checks a scenario (and its campaigns) without running it. */
import { loadScenario } from '../../scenario/load';
import { formatDuration } from '../../scenario/units';
import { EXIT, type Command } from '../command';

export const command: Command = {
  summary: 'check a scenario file and its campaigns; exit 1 naming the first problem',
  async run(argv) {
    if (argv.length !== 1 || argv[0]!.startsWith('-')) {
      console.error('usage: gridbench validate SCENARIO');
      return EXIT.error;
    }
    try {
      const s = loadScenario(argv[0]!);
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
