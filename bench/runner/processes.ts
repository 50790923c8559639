/**
 * gridbench run --processes: the broker, the HES, each DC and one TN host per DC as separate OS
 * processes over ZeroMQ TCP on loopback, on the real clock, exactly the processes the docker lab
 * runs. The parent provisions the state once (every mode's keys and certificates) and hands each
 * host a state directory of its own with only its nodes' secrets (exportHostState), then
 * runs each mode of the scenario in turn, one set of processes per mode as in-process runs go
 * one mode after the other: it starts them, lets them bootstrap once all are attached, tells them
 * when the workload starts, gathers their samples into the run's outputs and writes the same
 * results as an in-process run (modes.lean, modes['smgw-tls']). A host that dies is reported and
 * the run finishes with the rest. The scenario's campaigns run in the parent against each mode's
 * set (campaign-relay.ts): the attacker works from the broker's attack port, the hosts run the
 * mode operations a campaign asks for and relay what their nodes tell the goal oracle. Every wait for a child is for what the child says
 * (host-messages.ts) or for its exit, with a deadline; none is a fixed sleep.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import type { Sample } from '../../core/metrics';
import type { NodeId } from '../../core/transport';
import type { BootstrapReport } from '../../nodes/mode';
import type { ModeName } from '../../nodes/modes';
import type { Scenario } from '../scenario/schema';
import { CampaignRelay } from './campaign-relay';
import type { HostMessage, ParentMessage } from './host-messages';
import { hostDirName, processLayout, selectNodes } from './node-selection';
import { processFailures } from './process-failures';
import { CHANNEL_HOST, exportHostState, issueReplacement, operatorIssues, provisionState } from './provision';
import type { Progress, RunOptions } from './run';
import { startRun, type ModeRecorder, type ProcessOutcome, type RunResult, type StartedRun } from './run-results';
import type { ModeFacts } from './summary';
import type { WorkloadFacts } from './workload';
import { mergeHostFacts } from './host-facts';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'gridbench.ts');
const BOOTSTRAP_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 20_000;
const BROKER_READY_MS = 30_000;
const START_DELAY_MS = 1_000;

export interface ProcessRunOptions extends RunOptions {
  /** Called with every process started (tests use it to kill one). */
  readonly onProcess?: (name: string, child: ChildProcess) => void;
  /** How long hosts get to exit once told to stop before they are killed (tests shorten it). */
  readonly stopTimeoutMs?: number;
}

interface Host {
  readonly name: string;
  /** The nodes it runs (its selection's). */
  readonly nodes: ReadonlySet<NodeId>;
  readonly child: ChildProcess;
  started?: boolean;
  connected?: boolean;
  bootstrap?: BootstrapReport;
  facts?: WorkloadFacts;
  outcome?: string;
  readonly exited: Promise<void>;
}

/** A port the kernel reports free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A timeout to race against: unreferenced, so it never keeps the run's process alive on its own. */
function timeout(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `killed by ${signal}`;
  return code === 0 ? 'ok' : `exited with code ${code}`;
}

export async function runProcesses(scenario: Scenario, options: ProcessRunOptions = {}): Promise<RunResult> {
  const real: Scenario = { ...scenario, clock: 'real' };
  const run = await startRun(real, options);
  const stateDir = join(run.runDir, 'state');
  const { nodes } = provisionState(real, stateDir);
  run.log(`provisioned ${nodes} nodes for ${real.modes.join(', ')} in ${stateDir}`);
  const hostStates = new Map(
    processLayout(run.topology).map((selection) => [selection, join(run.runDir, 'host-state', hostDirName(selection))]),
  );
  for (const [selection, dir] of hostStates) exportHostState(real, stateDir, selection, dir);
  // the broker's keys: every node proves who it is (channel/broker-auth.ts)
  const brokerState = join(run.runDir, 'host-state', CHANNEL_HOST);
  exportHostState(real, stateDir, CHANNEL_HOST, brokerState);
  const processes: ProcessOutcome[] = [];
  const failures: string[] = [];
  try {
    for (const mode of real.modes) {
      run.log(`${mode}: starting`);
      // with several modes, a process's name says which mode's set it belongs to
      const named = (name: string) => (real.modes.length > 1 ? `${mode}/${name}` : name);
      const recorder = run.startMode(mode);
      const outcome = await runModeProcesses(mode, real, run, recorder.record, { stateDir, hostStates, brokerState }, named, options);
      recorder.end(outcome.facts);
      processes.push(...outcome.processes);
      failures.push(...processFailures(mode, outcome.processes, run.topology, named));
    }
  } finally {
    await run.stopOutputs();
  }
  for (const failure of failures) run.log(`the run failed: ${failure}`);
  return run.finish({ processes, failures });
}

/** One mode: the broker and every node host, from start to their last sample. */
async function runModeProcesses(
  mode: ModeName,
  real: Scenario,
  run: StartedRun,
  record: ModeRecorder['record'],
  states: {
    /** The operator's state, roots included: it issues replacement units' credentials (provision.ts issueReplacement). */
    readonly stateDir: string;
    /** Each host's selection and the state directory it was handed. */
    readonly hostStates: ReadonlyMap<string, string>;
    /** The broker host's state directory: its keys and the nodes' public keys. */
    readonly brokerState: string;
  },
  named: (name: string) => string,
  options: ProcessRunOptions,
): Promise<{ facts: ModeFacts; processes: ProcessOutcome[] }> {
  const { log } = run;
  const { stateDir, hostStates, brokerState } = states;
  const brokerPort = await freePort();
  const endpoint = `tcp://127.0.0.1:${brokerPort}`;
  // campaigns attack from here through the broker's attack port (campaign-relay.ts)
  const attack = run.campaigns.length
    ? { endpoint: `tcp://127.0.0.1:${await freePort()}`, token: randomBytes(24).toString('hex') }
    : undefined;
  const channelConfig = join(run.runDir, `channel-${mode}.yaml`);
  const channelMetrics = join(run.runDir, `channel-metrics-${mode}.jsonl`);
  writeFileSync(
    channelConfig,
    toYaml({
      seed: real.seed,
      topology: { generate: { dcs: real.topology.dcs, tnsPerDc: real.topology.tnsPerDc } },
      links: real.channel,
      broker: { endpoint, keys: brokerState },
      metrics: { intervalMs: 1000, file: channelMetrics },
      ...(attack ? { attack } : {}),
    }),
  );
  // the IPC channel, unused for messages, is how the broker notices this process is gone (channel.ts)
  const broker = spawn(process.execPath, ['--import', 'tsx', CLI, 'channel', '--config', channelConfig], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  options.onProcess?.(named('channel'), broker);
  // the broker's own outcome: 'ok' unless it ended before the parent stopped it
  let brokerOutcome = 'ok';
  let stoppingBroker = false;
  const brokerExit = new Promise<string>((resolve) =>
    broker.once('exit', (code, signal) => {
      const how = describeExit(code, signal);
      if (!stoppingBroker) {
        brokerOutcome = how;
        log(`the channel broker (pid ${broker.pid}) ${how} during the run; frames stop flowing`);
      }
      resolve(how);
    }),
  );
  let brokerErr = '';
  broker.stderr!.on('data', (d: Buffer) => (brokerErr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const give = setTimeout(() => {
      broker.kill('SIGKILL');
      reject(new Error(`the channel broker did not announce itself within ${BROKER_READY_MS / 1000} s: ${brokerErr.trim()}`));
    }, BROKER_READY_MS);
    broker.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(give);
        resolve();
      }
    });
    void brokerExit.then((how) => {
      clearTimeout(give);
      reject(new Error(`the channel broker ${how} before it was ready: ${brokerErr.trim()}`));
    });
  });
  log(`channel broker at ${endpoint} (pid ${broker.pid})`);
  let relay: CampaignRelay | undefined;
  if (attack)
    try {
      relay = await CampaignRelay.connect({
        scenario: real,
        modeName: mode,
        topology: run.topology,
        campaigns: run.campaigns,
        tags: { run: run.runId, scenario: real.name, mode },
        attack,
        hosts: () =>
          hosts.map((h) => ({
            name: h.name,
            nodes: h.nodes,
            alive: () => h.child.exitCode === null && h.child.signalCode === null,
            send: (m) => send(h, m),
          })),
        record,
        log,
        // only where the mode's new units get their credential from the operator: a register then needs its issue first
        ...(operatorIssues(mode) ? { issue: (node: string) => issueReplacement(real, stateDir, mode, node) } : {}),
      });
    } catch (err) {
      broker.kill('SIGKILL');
      throw err;
    }

  // whoever waits on the hosts looks again whenever one of them says something or exits
  const waiters = new Set<() => void>();
  const heard = () => {
    for (const check of [...waiters]) check();
  };
  const hosts: Host[] = [...hostStates].map(([selection, hostState]) => {
    const name = named(selection);
    const child = fork(
      CLI,
      [
        'node',
        '--scenario',
        real.file,
        '--nodes',
        selection,
        '--broker',
        endpoint,
        '--state',
        hostState,
        '--run',
        run.runId,
        '--mode',
        mode,
      ],
      // structured clone: what nodes tell the oracle carries bytes (host-messages.ts)
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d
        .toString()
        .split('\n')
        .filter((l) => l && !l.startsWith('gridbench node: ')))
        log(`${name}: ${line}`);
    });
    const host: Host = {
      name,
      nodes: new Set(selectNodes(selection, run.topology)),
      child,
      exited: new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          host.outcome ??= describeExit(code, signal);
          if (host.outcome !== 'ok')
            log(
              `process ${name} (pid ${child.pid}) ${host.outcome}; the run goes on with the rest${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`,
            );
          relay?.hostGone(name);
          resolve();
          heard();
        }),
      ),
    };
    child.on('message', (m: HostMessage) => {
      relay?.hostMessage(name, m);
      if (m.type === 'samples')
        for (const s of m.samples) {
          record(s);
          relay?.observe(s);
        }
      else if (m.type === 'started') host.started = true;
      else if (m.type === 'connected') host.connected = true;
      else if (m.type === 'bootstrapped') host.bootstrap = m.report;
      else if (m.type === 'done') host.facts = m.facts;
      else if (m.type === 'failed') host.outcome = `failed: ${m.error}`;
      heard();
    });
    options.onProcess?.(name, child);
    return host;
  });
  const alive = () => hosts.filter((h) => h.child.exitCode === null && h.child.signalCode === null);
  // a host may close its channel between the check and the write (it is ending): the error comes
  // to the callback, not as an unhandled 'error' event that would end the parent
  const send = (h: Host, m: ParentMessage) => {
    if (h.child.connected)
      h.child.send(m, (err) => {
        if (err) log(`${h.name}: a message to it was not delivered (${err.message})`);
      });
  };
  const wallStart = Date.now();
  const progress = (phase: Progress['phase'], simulatedMs: number) =>
    options.onProgress?.({
      mode,
      phase,
      wallMs: Date.now() - wallStart,
      simulatedMs,
      durationMs: real.duration,
      frames: 0,
      attacks: relay?.injected ?? 0,
      events: 0,
    });

  let campaignOutcome: Awaited<ReturnType<CampaignRelay['finish']>> | undefined;
  let bootstrapTicker: NodeJS.Timeout | undefined;
  let giveUp: NodeJS.Timeout | undefined;
  try {
    let pastDeadline = false;
    /** Until every living host says `done`, or the bootstrap deadline. */
    const waitFor = (done: (h: Host) => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (alive().some((h) => !done(h)) && !pastDeadline) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    progress('bootstrap', 0);
    bootstrapTicker = setInterval(() => progress('bootstrap', 0), 1_000);
    giveUp = setTimeout(() => {
      pastDeadline = true;
      heard();
    }, BOOTSTRAP_TIMEOUT_MS);
    // every node attached to the broker before any sends (host-messages.ts)
    await waitFor((h) => h.connected === true);
    for (const h of alive()) send(h, { type: 'bootstrap' });
    await waitFor((h) => h.bootstrap !== undefined);
    clearInterval(bootstrapTicker);
    clearTimeout(giveUp);
    const startAt = Date.now() + START_DELAY_MS;
    for (const h of alive()) send(h, { type: 'start', startAt });
    relay?.start(startAt);
    log(`workload starts on ${alive().length} node processes`);
    const ticker = setInterval(() => progress('run', Math.max(0, Date.now() - startAt)), 1_000);
    const allExited = Promise.all(hosts.map((h) => h.exited));
    await Promise.race([timeout(startAt - Date.now() + real.duration), allExited]);
    // the run's end, when the hosts close their modes: what a step's operation fails with from now
    // on comes of the closing (an enrolment cut short), logged and not failed, as in process
    relay?.end();
    await Promise.race([timeout(startAt - Date.now() + real.duration + 2_000), allExited]);
    clearInterval(ticker);
    progress('closing', real.duration);
    for (const h of alive()) send(h, { type: 'stop' });
    await Promise.race([Promise.all(hosts.map((h) => h.exited)), timeout(options.stopTimeoutMs ?? STOP_TIMEOUT_MS)]);
  } finally {
    clearInterval(bootstrapTicker);
    clearTimeout(giveUp);
    for (const h of alive()) {
      // a host that reported its failure and then hung keeps the failure as its outcome
      h.outcome ??= 'did not stop in time; killed';
      h.child.kill('SIGKILL');
    }
    await Promise.all(hosts.map((h) => h.exited));
    // after the hosts' last batches: what they told the oracle is all in
    campaignOutcome = await relay?.finish().catch((err: unknown) => {
      log(`${mode}: ending the campaigns failed: ${(err as Error).message}`);
      return undefined;
    });
    stoppingBroker = true;
    broker.kill('SIGTERM');
    await brokerExit;
  }

  try {
    for (const line of readFileSync(channelMetrics, 'utf8').split('\n').filter(Boolean)) {
      const s = JSON.parse(line) as Sample;
      record({ ...s, tags: { ...s.tags, run: run.runId, scenario: real.name, mode } });
    }
  } catch (err) {
    log(`the broker's channel metrics (${channelMetrics}) could not be read; the summary lacks them: ${(err as Error).message}`);
  }
  const { facts, bootstrap } = mergeHostFacts(hosts);
  return {
    // the hosts have all ended when the relay judges: every event they sent is in (its incomplete, empty then, is logged by the relay)
    facts: {
      mode,
      bootstrap,
      ...facts,
      ...(campaignOutcome ? { violations: campaignOutcome.violations, failedSteps: campaignOutcome.failedSteps } : {}),
    },
    processes: [
      { name: named('channel'), pid: broker.pid, outcome: brokerOutcome },
      ...hosts.map((h) => ({ name: h.name, pid: h.child.pid, outcome: h.outcome ?? 'ok' })),
    ],
  };
}
