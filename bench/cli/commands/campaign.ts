/**
 * gridbench campaign --scenario FILE --attack tcp://HOST:PORT [--token T] [--mode MODE] [--duration D]
 *   [--campaign NAME]... [--state DIR --host SELECTION=tcp://HOST:PORT...]
 * Runs campaigns against a running lab (docker/compose.yaml, or hosts of their own) from this
 * process: the attacker works through the broker's attack port (channel/attack-port.ts), whose
 * token comes from --token or GRIDBENCH_ATTACK_TOKEN, else from the operator's state, where
 * provisioning made it (the broker's share has it too). With the operator's state (--state, made by
 * gridbench provision) and each host's operator endpoint (--host, the host's gridbench node
 * --operator), this process is the operator as the --processes parent is: the node operations a
 * campaign asks for (automation, a replacement, a round, a rollout) run in the hosts over the
 * operator channel (bench/runner/operator-channel.ts), and what the nodes tell the goal oracle is
 * judged here (campaign-relay.ts), in the order of the hosts' times: their clocks must agree (NTP)
 * to well within a frame's latency. Without them, a step that needs the nodes fails at once, named.
 * Prints, as JSON, what the attacker put on the wire and what the nodes refused per goal, the
 * goal oracle's violations, the failed steps and what the verdict misses (incomplete: a host's
 * messages lost to the operator, each naming the host; exit 1).
 */
import { loadAttackToken } from '../../../channel/broker-auth';
import { loadCampaign } from '../../campaign/load';
import { CampaignRelay, type RelayHost } from '../../runner/campaign-relay';
import type { HostMessage } from '../../runner/host-messages';
import { connectOperatorHost, type OperatorHost } from '../../runner/operator-channel';
import { loadOperatorKeys } from '../../runner/operator-keys';
import { overlappingSelections, selectNodes } from '../../runner/node-selection';
import { issueReplacement, operatorIssues } from '../../runner/provision';
import { Topology } from '../../../core/topology';
import type { Sample } from '../../../core/metrics';
import { MODE_NAMES } from '../../../nodes/modes';
import { loadScenario } from '../../scenario/load';
import { parseDuration } from '../../scenario/units';
import { EXIT, parseCommandArgs, selectionPairs, usageError, type Command } from '../command';

const USAGE = `usage: gridbench campaign --scenario FILE --attack tcp://HOST:PORT [--token TOKEN] [--mode ${MODE_NAMES.join('|')}] [--duration D] [--campaign NAME]... [--state DIR --host SELECTION=tcp://HOST:PORT...]

  --attack    the broker's attack port (its config's attack.endpoint)
  --token     the attack port's token (default: $GRIDBENCH_ATTACK_TOKEN, else the one provision made in --state)
  --mode      the mode the lab's nodes run (default: ${MODE_NAMES[0]})
  --duration  how long the campaigns run (default: the scenario's duration)
  --campaign  a campaign to run instead of the scenario's (repeatable)
  --state     the operator's state directory (gridbench provision --state DIR): its key orders the
              hosts' node operations, its roots issue replacement units' credentials
  --host      hes=tcp://hes:7000 | tns:dc1=tcp://tns-dc1:7000 ...   a host's gridbench node --operator
              endpoint, by the selection it was provisioned for (repeatable: every host of the lab);
              without --host a step that needs the nodes' operations fails`;

/** How long the campaigns wait for a host's keys after its hello (it sends them right after it). */
const KEYS_WAIT_MS = 10_000;

/** The hosts whose keys did not come within KEYS_WAIT_MS. */
async function keysFrom(hosts: readonly OperatorHost[], keyed: ReadonlySet<string>): Promise<string[]> {
  const deadline = Date.now() + KEYS_WAIT_MS;
  while (hosts.some((h) => !keyed.has(h.name)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return hosts.filter((h) => !keyed.has(h.name)).map((h) => h.name);
}

export const command: Command = {
  summary: "run campaigns against a running lab through the broker's attack port and the hosts' operator channels",
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
        state: { type: 'string' },
        host: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    if (!values.scenario || !values.attack)
      return usageError('campaign', USAGE, '--scenario FILE and --attack tcp://HOST:PORT are required');
    let token = values.token ?? process.env.GRIDBENCH_ATTACK_TOKEN;
    // a lab provisioned by gridbench provision: its broker's token is in the operator's state
    if (!token && values.state) {
      try {
        token = loadAttackToken(values.state);
      } catch (err) {
        return usageError('campaign', USAGE, `--token, GRIDBENCH_ATTACK_TOKEN or the token in --state: ${(err as Error).message}`);
      }
    }
    if (!token) return usageError('campaign', USAGE, '--token, GRIDBENCH_ATTACK_TOKEN or --state (the lab provisioned there) is required');
    const mode = MODE_NAMES.find((m) => m === values.mode);
    if (!mode) return usageError('campaign', USAGE, `--mode ${values.mode}: expected ${MODE_NAMES.join(' or ')}`);
    const asked = values.duration === undefined ? undefined : parseDuration(values.duration);
    if (values.duration !== undefined && asked === undefined)
      return usageError('campaign', USAGE, `--duration ${values.duration}: expected a duration such as 90s or 5m`);
    const hostSpecs = selectionPairs('host', values.host, 'tcp://HOST:PORT (e.g. tns:dc1=tcp://tns-dc1:7000)');
    if (typeof hostSpecs === 'string') return usageError('campaign', USAGE, hostSpecs);
    const stateDir = values.state;
    if (hostSpecs.length && !stateDir)
      return usageError('campaign', USAGE, "--host needs --state DIR, the operator's state directory that gridbench provision made");
    const log = (line: string) => console.error(`gridbench campaign: ${line}`);
    const hosts: OperatorHost[] = [];
    try {
      const scenario = loadScenario(values.scenario);
      const duration = asked ?? scenario.duration;
      const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
      // one host per node: a node in two would run each operation, and be replaced, twice
      const overlap = overlappingSelections(
        hostSpecs.map(([selection]) => selection),
        topology,
      );
      if (overlap)
        return usageError(
          'campaign',
          USAGE,
          `--host ${overlap.first} and --host ${overlap.second} both select ${overlap.node}: give each node's host once`,
        );
      const refs = values.campaign.length ? values.campaign : scenario.campaigns;
      const campaigns = await Promise.all(refs.map((ref) => loadCampaign(ref, scenario.file, topology)));
      // what a host says before the relay is there (its backlog, its keys) waits for it, in order
      let relay: CampaignRelay | undefined;
      const early: [string, HostMessage][] = [];
      // what the oracle was handed, by kind: a verdict of no violation means something only if it heard acceptances
      const observed: Record<string, number> = {};
      // the hosts whose nodes' keys are in (each sends them after its hello; none in a mode without)
      const keyed = new Set<string>();
      const heard = (host: string, m: HostMessage) => {
        if (m.type === 'keys') keyed.add(host);
        if (!relay) return void early.push([host, m]);
        if (m.type === 'observed') for (const e of m.events) observed[e.kind] = (observed[e.kind] ?? 0) + 1;
        relay.hostMessage(host, m);
        if (m.type === 'samples') for (const s of m.samples) relay.observe(s);
      };
      const provisioned = hostSpecs.map(([selection, endpoint]) => ({ selection, endpoint, ...loadOperatorKeys(stateDir!, selection) }));
      const connected = await Promise.allSettled(
        provisioned.map(({ selection, ...host }) =>
          connectOperatorHost({
            name: selection,
            ...host,
            onMessage: (m) => heard(selection, m),
            // it may come back and send again what it sent meanwhile: the judging waits for it
            onGone: () => relay?.hostAway(selection),
            log,
          }),
        ),
      );
      for (const c of connected) if (c.status === 'fulfilled') hosts.push(c.value);
      // a host asks the operator's side only for its own nodes' replacements (campaign-relay.ts)
      const relayHosts: RelayHost[] = hosts.map((h) => ({
        name: h.name,
        nodes: new Set(selectNodes(h.name, topology)),
        alive: () => h.alive(),
        send: (m) => h.send(m),
      }));
      const failed = connected.find((c) => c.status === 'rejected');
      if (failed) throw failed.reason;
      if (hosts.length) log(`operator channel to ${hosts.map((h) => h.name).join(', ')}`);
      const tally = { injected: {} as Record<string, number>, rejected: {} as Record<string, number> };
      relay = await CampaignRelay.connect({
        scenario,
        modeName: mode,
        topology,
        campaigns,
        tags: { run: scenario.name, scenario: scenario.name, mode },
        attack: { endpoint: values.attack, token },
        hosts: () => relayHosts,
        record: (s: Sample) => {
          if (s.measurement !== 'attack') return;
          const key = `${s.tags.attack}:${s.tags.goal}`;
          for (const field of ['injected', 'rejected'] as const)
            tally[field][key] = (tally[field][key] ?? 0) + Number(s.fields[field] ?? 0);
        },
        log,
        // only where the mode's new units get their credential from the operator: a register then needs its issue first
        ...(stateDir && operatorIssues(mode) ? { issue: (node: string) => issueReplacement(scenario, stateDir, mode, node) } : {}),
      });
      // what came before the relay, in order, before anything newer reaches it
      for (const [host, m] of early.splice(0)) heard(host, m);
      // the campaigns' mode offers the nodes' keys (an attacker's compromise, the confidentiality
      // judging) only if they are in when it starts: under load a host's come a while after its hello
      const unkeyed = await keysFrom(hosts, keyed);
      const missingKeys = unkeyed.map(
        (h) => `${h}: its nodes' keys did not come within ${KEYS_WAIT_MS / 1000} s of its hello; campaigns ran without them`,
      );
      for (const line of missingKeys) log(`${line}; the verdict is incomplete`);
      relay.start(Date.now());
      await new Promise((resolve) => setTimeout(resolve, duration));
      relay.end();
      const judged = await relay.finish();
      const { violations, failedSteps } = judged;
      // what a host's nodes accepted may be among what was lost of its messages, or what it had not
      // reported by the campaign's end: no verdict of "no violation" then
      const incomplete = [...missingKeys, ...hosts.flatMap((h) => h.incomplete()), ...judged.incomplete];
      if (incomplete.length) log(`the verdict is incomplete: ${incomplete.join('; ')}`);
      console.log(JSON.stringify({ ...tally, violations, failedSteps, incomplete, observed }));
      return failedSteps.length || violations.length || incomplete.length ? EXIT.error : EXIT.ok;
    } catch (err) {
      log((err as Error).message);
      return EXIT.error;
    } finally {
      await Promise.all(hosts.map((h) => h.close()));
    }
  },
};
