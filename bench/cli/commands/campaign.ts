/**
 * gridbench campaign --scenario FILE --attack tcp://HOST:PORT [--token T] [--mode MODE] [--duration D]
 *   [--campaign NAME]...
 * Runs campaigns against a running lab (docker/compose.yaml, or hosts of their own) from this
 * process: the attacker works through the broker's attack port (channel/attack-port.ts), whose
 * token comes from --token or GRIDBENCH_ATTACK_TOKEN. The nodes are in processes this one does
 * not drive, so a step that asks the nodes for an operation (automation, a replacement, a rollout)
 * fails at once, named with its campaign and step, saying that it needs `gridbench run
 * --processes` (campaign-relay.ts); the wire steps act. The nodes count their refusals in their own metrics,
 * attributed to `<campaign>:<goal>`. Prints what the attacker put on the wire per goal as JSON.
 */
import { loadCampaign } from '../../campaign/load';
import { CampaignRelay } from '../../runner/campaign-relay';
import { Topology } from '../../../core/topology';
import type { Sample } from '../../../core/metrics';
import { MODE_NAMES } from '../../../nodes/modes';
import { loadScenario } from '../../scenario/load';
import { parseDuration } from '../../scenario/units';
import { EXIT, parseCommandArgs, usageError, type Command } from '../command';

const USAGE = `usage: gridbench campaign --scenario FILE --attack tcp://HOST:PORT [--token TOKEN] [--mode ${MODE_NAMES.join('|')}] [--duration D] [--campaign NAME]...

  --attack    the broker's attack port (its config's attack.endpoint)
  --token     the attack port's token (default: $GRIDBENCH_ATTACK_TOKEN)
  --mode      the mode the lab's nodes run (default: ${MODE_NAMES[0]})
  --duration  how long the campaigns run (default: the scenario's duration)
  --campaign  a campaign to run instead of the scenario's (repeatable)`;

export const command: Command = {
  summary: "run campaigns against a running lab through the broker's attack port",
  async run(argv) {
    const parsed = parseCommandArgs('campaign', USAGE, {
      args: argv,
      options: {
        scenario: { type: 'string' },
        attack: { type: 'string' },
        token: { type: 'string' },
        mode: { type: 'string', default: MODE_NAMES[0] },
        duration: { type: 'string' },
        campaign: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    const token = values.token ?? process.env.GRIDBENCH_ATTACK_TOKEN;
    if (!values.scenario || !values.attack)
      return usageError('campaign', USAGE, '--scenario FILE and --attack tcp://HOST:PORT are required');
    if (!token) return usageError('campaign', USAGE, '--token or GRIDBENCH_ATTACK_TOKEN is required');
    const mode = MODE_NAMES.find((m) => m === values.mode);
    if (!mode) return usageError('campaign', USAGE, `--mode ${values.mode}: expected ${MODE_NAMES.join(' or ')}`);
    const asked = values.duration === undefined ? undefined : parseDuration(values.duration);
    if (values.duration !== undefined && asked === undefined)
      return usageError('campaign', USAGE, `--duration ${values.duration}: expected a duration such as 90s or 5m`);
    try {
      const scenario = loadScenario(values.scenario);
      const duration = asked ?? scenario.duration;
      const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
      const refs = values.campaign.length ? values.campaign : scenario.campaigns;
      const campaigns = await Promise.all(refs.map((ref) => loadCampaign(ref, scenario.file, topology)));
      const injected: Record<string, number> = {};
      const relay = await CampaignRelay.connect({
        scenario,
        modeName: mode,
        topology,
        campaigns,
        tags: { run: scenario.name, scenario: scenario.name, mode },
        attack: { endpoint: values.attack, token },
        hosts: () => [],
        record: (s: Sample) => {
          if (s.measurement !== 'attack') return;
          const key = `${s.tags.attack}:${s.tags.goal}`;
          injected[key] = (injected[key] ?? 0) + Number(s.fields.injected ?? 0);
        },
        log: (line) => console.error(`gridbench campaign: ${line}`),
      });
      relay.start(Date.now());
      await new Promise((resolve) => setTimeout(resolve, duration));
      relay.end();
      const { failedSteps } = await relay.finish();
      console.log(JSON.stringify({ injected, failedSteps }));
      return failedSteps.length ? EXIT.error : EXIT.ok;
    } catch (err) {
      console.error(`gridbench campaign: ${(err as Error).message}`);
      return EXIT.error;
    }
  },
};
