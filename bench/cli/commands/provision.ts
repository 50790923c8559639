/**
 * gridbench provision --scenario FILE --state DIR [--host SELECTION=DIR]...: creates the keys and
 * certificates of a scenario in a state directory, once, before the node processes of a
 * distributed bench start (the docker lab's first service): for lean every node's keys, the
 * manufacturer's root key and the HES certificate; for smgw-tls the run's PKI. Each --host then
 * gets a state directory of its own with only what its nodes may hold (runner/provision.ts).
 */
import { exportHostState, provisionState } from '../../runner/provision';
import { loadScenario } from '../../scenario/load';
import { EXIT, parseCommandArgs, selectionPairs, usageError, type Command } from '../command';

const USAGE = `usage: gridbench provision --scenario FILE --state DIR [--host SELECTION=DIR]...

  --state     where every key and certificate is made (keep it with the operator: it holds the roots)
  --host      hes=DIR | dc1=DIR | tns:dc1=DIR ...   a state directory for the process running those
              nodes, holding only their secrets; pass it as that process's gridbench node --state`;

export const command: Command = {
  summary: "create the keys and certificates of a distributed bench, and each host's share of them",
  async run(argv) {
    const parsed = parseCommandArgs('provision', USAGE, {
      args: argv,
      options: {
        scenario: { type: 'string' },
        state: { type: 'string' },
        host: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    if (!values.scenario || !values.state) return usageError('provision', USAGE, '--scenario FILE and --state DIR are required');
    const hosts = selectionPairs('host', values.host, 'DIR (e.g. tns:dc1=/hosts/tns-dc1)');
    if (typeof hosts === 'string') return usageError('provision', USAGE, hosts);
    try {
      const scenario = loadScenario(values.scenario);
      const { nodes } = provisionState(scenario, values.state);
      console.log(`gridbench provision: ${nodes} nodes provisioned for ${scenario.modes.join(', ')} in ${values.state}`);
      for (const [selection, dir] of hosts) {
        const exported = exportHostState(scenario, values.state, selection, dir);
        console.log(`gridbench provision: ${selection}: ${exported.nodes} nodes' secrets in ${dir}`);
      }
      return EXIT.ok;
    } catch (err) {
      console.error(`gridbench provision: ${(err as Error).message}`);
      return EXIT.error;
    }
  },
};
