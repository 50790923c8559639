/**
 * gridbench node --scenario FILE --nodes SELECTION --broker tcp://HOST:PORT --state DIR
 *   [--run ID] [--mode MODE] [--out influxdb=URL]... [--results DIR] [--operator tcp://ADDR:PORT]
 * Runs some nodes of a scenario in this process over the channel broker (see node-host.ts).
 */
import { hostNodes } from '../../runner/node-host';
import { MODE_NAMES } from '../../../nodes/modes';
import { loadScenario } from '../../scenario/load';
import { EXIT, parseCommandArgs, usageError, type Command } from '../command';

const USAGE = `usage: gridbench node --scenario FILE --nodes SELECTION --broker tcp://HOST:PORT --state DIR [--run ID] [--mode ${MODE_NAMES.join('|')}] [--out influxdb=URL]... [--operator tcp://ADDR:PORT]

  --nodes     hes | dc1 | tns:dc1 | tn1.001,tn1.002 ...   the nodes this process runs
  --state     this process's state directory, made by gridbench provision --host SELECTION=DIR
  --run       run id shared by all processes of one bench (default: the scenario's name)
  --mode      the security architecture the nodes run (default: ${MODE_NAMES[0]}); every process of a bench runs the same
  --operator  where this host takes a campaign's node operations (automation, replace, rounds...) from
              gridbench campaign --host, e.g. tcp://0.0.0.0:7000: CURVE, the operator's key from
              gridbench provision only (the broker holds none of it)`;

export const command: Command = {
  summary: 'run some nodes of a scenario in this process, over the channel broker (lab and --processes)',
  async run(argv) {
    const parsed = parseCommandArgs('node', USAGE, {
      args: argv,
      options: {
        scenario: { type: 'string' },
        nodes: { type: 'string' },
        broker: { type: 'string' },
        state: { type: 'string' },
        run: { type: 'string' },
        mode: { type: 'string', default: MODE_NAMES[0] },
        out: { type: 'string', multiple: true, default: [] },
        results: { type: 'string', default: 'results' },
        operator: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const missing = (['scenario', 'nodes', 'broker', 'state'] as const).filter((k) => !values[k]);
    if (missing.length) return usageError('node', USAGE, `missing ${missing.map((m) => `--${m}`).join(', ')}`);
    const mode = MODE_NAMES.find((m) => m === values.mode);
    if (!mode) return usageError('node', USAGE, `--mode ${values.mode}: expected ${MODE_NAMES.join(' or ')}`);
    // a --processes host takes its operations from its parent over IPC; a second channel would be a second operator
    if (values.operator && typeof process.send === 'function')
      return usageError('node', USAGE, '--operator: not offered to a host of gridbench run --processes (its parent is its operator)');
    try {
      const scenario = loadScenario(values.scenario!);
      await hostNodes({
        scenario: { ...scenario, clock: 'real' },
        selection: values.nodes!,
        broker: values.broker!,
        stateDir: values.state!,
        runId: values.run ?? scenario.name,
        mode,
        out: values.out,
        resultsRoot: values.results,
        ...(values.operator ? { operator: values.operator } : {}),
        log: (line) => console.error(`gridbench node: ${line}`),
      });
      return EXIT.ok;
    } catch (err) {
      console.error(`gridbench node ${values.nodes}: ${(err as Error).message}`);
      if (typeof process.send === 'function') process.send({ type: 'failed', error: (err as Error).message });
      return EXIT.error;
    }
  },
};
