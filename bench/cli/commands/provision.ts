/**
 * gridbench provision --scenario FILE --state DIR: creates the keys and certificates of a scenario
 * in a state directory, once, before the node processes of a distributed bench start (the docker
 * lab's first service): for lean every node's keys, the manufacturer's root key and the HES
 * certificate; for smgw-tls the run's PKI (runner/provision.ts).
 */
import { parseArgs } from 'node:util';
import { provisionState } from '../../runner/provision';
import { loadScenario } from '../../scenario/load';
import { EXIT, type Command } from '../command';

export const command: Command = {
  summary: 'create the keys and certificates of a distributed bench in a shared state directory',
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { scenario: { type: 'string' }, state: { type: 'string' } } }));
    } catch (err) {
      console.error(`gridbench provision: ${(err as Error).message}`);
      return EXIT.error;
    }
    if (!values.scenario || !values.state) {
      console.error('usage: gridbench provision --scenario FILE --state DIR');
      return EXIT.error;
    }
    try {
      const scenario = loadScenario(values.scenario);
      const { nodes } = provisionState(scenario, values.state);
      console.log(`gridbench provision: ${nodes} nodes provisioned for ${scenario.modes.join(', ')} in ${values.state}`);
      return EXIT.ok;
    } catch (err) {
      console.error(`gridbench provision: ${(err as Error).message}`);
      return EXIT.error;
    }
  },
};
