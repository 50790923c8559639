/**
 * gridbench node: one OS process running some nodes of a scenario (the HES, a DC, or a DC's TNs)
 * over the channel broker (ZeroMQ TCP) on the real clock, as the docker lab and `gridbench run
 * --processes` do, in any mode of the registry (--mode lean | smgw-tls). Keys, certificates and
 * counters live in the state directory provisioning handed this host (exportHostState: only its
 * own nodes' secrets, never a root's private key); the mode's definition says what it loads from
 * there (ModeDefinition.loadHostState). The process issues the part of the workload its own nodes
 * originate.
 *
 * With a parent (--processes) it reports over IPC (started, connected, samples, bootstrap, the
 * commands it issued), bootstraps once every host is attached and starts the workload when told;
 * on its own (docker) it starts once its nodes have bootstrapped and writes its metrics through
 * --out; with --operator it also serves the node operations of campaigns run by the operator
 * (gridbench campaign) over its operator channel (operator-channel.ts), as it serves the parent's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../../core/topology';
import { createZmqNetwork } from '../../channel/zmq-transport';
import { hasChannelKeys, loadNodeAuth } from '../../channel/broker-auth';
import { CryptoOpCounter } from '../../nodes/crypto/op-counter';
import { MODE_NAMES, modeDefinition, type ModeName } from '../../nodes/modes';
import { RealClock, type TimerHandle } from '../../core/clock';
import { createMetrics, type Metrics, type Sample } from '../../core/metrics';
import { Random } from '../../core/random';
import { stateStoreFor } from '../../nodes/store/state-dir';
import { MetricsOutputs } from '../metrics/metrics-outputs';
import { createOutputs } from '../metrics/out-spec';
import { Timebase } from '../metrics/timebase';
import type { Scenario } from '../scenario/schema';
import type { NodeId } from '../../core/transport';
import { createBoards } from './boards';
import { eventTime, type HostMessage, type Observed, type ParentMessage } from './host-messages';
import { localKeys, parentOperator, relayObserver, runHostOp } from './host-ops';
import { createScenarioMode, type RunnableMode } from './mode-factory';
import { hostDirName, selectNodes } from './node-selection';
import { serveOperator } from './operator-channel';
import { loadHostOperatorKeys, type HostOperatorKeys } from './operator-keys';
import { loadHostState } from './provision';
import { CRYPTO_REPORT_MS, every, Schedule } from './schedule';
import { countingWorkload, scheduleWorkload, type WorkloadFacts } from './workload';

export interface HostOptions {
  readonly scenario: Scenario;
  readonly selection: string;
  /** tcp://host:port of the channel broker. */
  readonly broker: string;
  /** This host's share of the provisioning (`gridbench provision --host`, or the --processes parent). */
  readonly stateDir: string;
  readonly runId: string;
  readonly mode: ModeName;
  /** On its own: --out specs, and where results/<run-id>/<selection>/ goes. */
  readonly out?: readonly string[];
  readonly resultsRoot?: string;
  /** On its own: where it takes a campaign's node operations from the operator (operator-channel.ts), e.g. tcp://0.0.0.0:7000. */
  readonly operator?: string;
  readonly log: (line: string) => void;
}

const FLUSH_MS = 250;
const BOOTSTRAP_TIMEOUT_MS = 120_000;

export async function hostNodes(options: HostOptions): Promise<void> {
  const { scenario, log } = options;
  if (!MODE_NAMES.includes(options.mode)) throw new Error(`--mode ${String(options.mode)}: not a mode (${MODE_NAMES.join(', ')})`);
  const definition = modeDefinition(options.mode);
  if (!existsSync(join(options.stateDir, definition.provisionedMarker)))
    throw new Error(
      `${options.stateDir} is not a state directory provisioned for ${options.mode} (no ${definition.provisionedMarker}; run: gridbench provision --scenario FILE --state DIR with a scenario whose modes include ${options.mode})`,
    );
  const parent = typeof process.send === 'function' ? (m: HostMessage) => process.send!(m) : undefined;
  // samples go to the parent only: once it is gone (killed, crashed) there is no run to serve,
  // and the open broker sockets would keep this host alive as an orphan
  let lettingGo = false;
  if (parent)
    process.once('disconnect', () => {
      if (lettingGo) return;
      log(`${options.selection}: the parent process is gone; stopping`);
      process.exit(1);
    });
  // from here on a parent that goes away is noticed: say so (a parent waits for it, not for a fixed time)
  parent?.({ type: 'started' });
  const topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc);
  const nodes = new Set(selectNodes(options.selection, topology));
  const local = (node: string) => nodes.has(node);
  const clock = new RealClock();
  const random = new Random(scenario.seed).fork(`host/${options.selection}`);
  // before anything that keeps the process alive: a broken state directory fails at once; what
  // the mode loads is its part of the provisioning, and the secrets of this process's nodes only
  const hostState = loadHostState(scenario, options.stateDir, options.mode, local);

  let pendingSamples: Sample[] = [];
  // a run with campaigns judges goals in the parent, or in a lab in the operator's campaign
  // process: what the nodes tell the oracle goes there, and the campaign's operations come from there
  const operatorKeys = !parent && options.operator ? loadHostOperatorKeys(options.stateDir) : undefined;
  const relaying = (parent !== undefined && scenario.campaigns.length > 0) || operatorKeys !== undefined;
  const observed: Observed[] = [];
  const outputs = parent
    ? undefined
    : new MetricsOutputs(
        createOutputs(options.out ?? [], {
          runDir: join(options.resultsRoot ?? 'results', options.runId, hostDirName(options.selection)),
          timebase: new Timebase('real', Date.now()),
          header: { run: options.runId, scenario: scenario.name, nodes: options.selection },
          log,
        }),
      );
  await outputs?.start();
  let link: OpsLink | undefined;
  const flush = () => {
    // every event until now is in `observed` (the nodes tell it synchronously): upTo is now
    if (relaying) link?.send({ type: 'observed', events: observed.splice(0), upTo: eventTime() });
    if (pendingSamples.length === 0) return;
    const batch = pendingSamples;
    pendingSamples = [];
    if (parent) parent({ type: 'samples', samples: batch });
    else {
      outputs!.addSamples(batch);
      // the operator's campaign counts the refusals of its frames (CampaignRunner.observe)
      const refusals = operatorKeys ? batch.filter((s) => s.measurement === 'frame_rejected' && s.tags.attack) : [];
      if (refusals.length) link?.send({ type: 'samples', samples: refusals });
    }
  };
  const flusher = setInterval(flush, FLUSH_MS);
  const metrics = createMetrics(clock, (s) => pendingSamples.push(s), { run: options.runId, scenario: scenario.name, mode: options.mode });

  // Provisioned with channel keys: each node proves who it is to the broker (channel/broker-auth.ts).
  const authFor = hasChannelKeys(options.stateDir) ? (node: string) => loadNodeAuth(options.stateDir, node) : undefined;
  const network = createZmqNetwork({ endpoint: options.broker, topology, clock, authFor });
  const boards = createBoards(scenario, topology, clock, random, metrics, local);
  const facts: WorkloadFacts = { commands: 0, addressed: 0, commandBytes: [], firmwareRollouts: 0 };
  const cryptoOps = new CryptoOpCounter();
  const cryptoReports = every(clock, CRYPTO_REPORT_MS, () => cryptoOps.report(metrics));
  // a listener still waiting for the parent holds the IPC channel open: a host that failed would not exit
  const parentGone = new AbortController();
  let stopOps: (() => void) | undefined;
  const operator = parentOperator((m) => link?.send(m));
  try {
    const built = createScenarioMode(options.mode, {
      scenario,
      topology,
      clock,
      network,
      metrics,
      random,
      boards,
      local,
      cryptoOps,
      storeFor: stateStoreFor(options.stateDir),
      cryptoLabel: `${options.mode}/host/${options.selection}`,
      bootstrapTimeoutMs: BOOTSTRAP_TIMEOUT_MS,
      hostState,
      ...(relaying ? { oracle: relayObserver(observed), operator } : {}),
    });
    const mode = countingWorkload(built, facts, metrics);
    if (relaying) {
      // always, none in a mode without node keys: the operator starts its campaigns once every
      // host's are in (a campaign's mode offers keysOf only if some were, from its start on)
      const sendKeys = () => link?.send({ type: 'keys', keys: localKeys(mode, nodes) ?? {} });
      link = operatorKeys ? await operatorLink(options.operator!, operatorKeys, topology, metrics, log, sendKeys) : ipcLink();
      stopOps = serveOps(mode, topology, local, log, operator.answered, link);
      if (parent) sendKeys();
    }
    await network.ready();
    log(`${options.selection}: ${nodes.size} node(s) connected to ${options.broker}`);
    await Promise.all([...boards.values()].map((b) => b.ready()));
    if (parent) {
      const go = parentSignal('bootstrap', parentGone.signal);
      parent({ type: 'connected' });
      await go;
    }
    const report = await mode.bootstrap();
    const started = parent ? parentSignal('start', parentGone.signal) : undefined;
    parent?.({ type: 'bootstrapped', report });
    const dcs = report.dcsEnrolled ? `, ${report.dcsEnrolled} DCs` : '';
    log(
      `${options.selection}: ${report.enrolled} TNs enrolled${dcs}${report.failed.length ? `, failed: ${report.failed.join(', ')}` : ''}`,
    );
    const startAt = started ? (await started).startAt : clock.now();
    await clock.sleep(startAt - clock.now());
    const schedule = new Schedule(clock, startAt);
    const pending: Promise<unknown>[] = [];
    scheduleWorkload(scenario, topology, mode, schedule, pending, local);
    // a stop from the parent ends the run early: the run's own timer must not keep the process up
    let runEnd: TimerHandle | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (runEnd = clock.setTimer(scenario.duration, resolve))),
      parent ? parentSignal('stop', parentGone.signal) : new Promise<never>(() => {}),
    ]);
    runEnd?.cancel();
    schedule.cancel();
    // the run is over: a campaign's operation asked now would start what the closing mode cannot
    // end (a meter round's timer keeping the process up past its stop)
    stopOps?.();
    await mode.close();
    await Promise.allSettled(pending);
  } finally {
    stopOps?.();
    parentGone.abort();
    await Promise.all([...boards.values()].map((b) => b.close()));
    await network.close();
    cryptoReports.cancel();
    cryptoOps.report(metrics);
    clearInterval(flusher);
    flush();
    await link?.close();
    await outputs?.stop();
  }
  if (parent) {
    // the IPC channel would keep this process alive: say done, then let go of it
    await new Promise<void>((resolve) => process.send!({ type: 'done', facts } satisfies HostMessage, () => resolve()));
    lettingGo = true;
    process.disconnect();
  }
}

/**
 * Who orders a campaign's operations and hears what the nodes told the oracle: the --processes
 * parent over IPC, or a lab's operator over the operator channel (operator-channel.ts).
 */
interface OpsLink {
  send(m: HostMessage): void;
  /** Listens to the parent's messages; returns the function that stops. */
  listen(handler: (m: ParentMessage) => void): () => void;
  close(): Promise<void>;
}

function ipcLink(): OpsLink {
  return {
    send: (m) => {
      if (process.connected) process.send!(m);
    },
    listen: (handler) => {
      process.on('message', handler);
      return () => process.off('message', handler);
    },
    close: async () => {},
  };
}

/** The operator channel: refused clients and messages are counted (operator_rejected) and logged, never handed on. */
async function operatorLink(
  endpoint: string,
  keys: HostOperatorKeys,
  topology: Topology,
  metrics: Metrics,
  log: (line: string) => void,
  onOperator: () => void,
): Promise<OpsLink> {
  const handlers = new Set<(m: ParentMessage) => void>();
  let refused = 0;
  let dropped = 0;
  const server = await serveOperator({
    endpoint,
    keys,
    nodes: new Set(topology.nodes),
    onMessage: (m) => {
      for (const h of handlers) h(m);
    },
    onOperator: () => {
      log(`operator channel: the operator said hello`);
      onOperator();
    },
    refuse: (reason, from, detail) => {
      metrics.emit('operator_rejected', { count: 1, from }, { reason });
      log(`operator channel: refused (${reason}: ${detail}); ${++refused} refused so far`);
    },
    dropped: (count) => {
      metrics.emit('operator_backlog_dropped', { count });
      if (dropped === 0)
        log(`operator channel: the backlog for a later operator is full; what it drops is counted (operator_backlog_dropped)`);
      dropped += count;
    },
  });
  log(`operator channel at ${endpoint}`);
  return {
    send: (m) => server.send(m),
    listen: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    close: () => server.close(),
  };
}

/** Runs the mode operations the parent asks for (a campaign's), answering each; returns the function that stops. */
function serveOps(
  mode: RunnableMode,
  topology: Topology,
  local: (node: NodeId) => boolean,
  log: (line: string) => void,
  registered: (m: ParentMessage) => void,
  link: OpsLink,
): () => void {
  const onMessage = (m: ParentMessage) => {
    registered(m);
    if (m.type !== 'op') return;
    const answer = (a: Omit<Extract<HostMessage, { type: 'op-done' }>, 'type' | 'id'>) => link.send({ type: 'op-done', id: m.id, ...a });
    runHostOp(mode, topology, local, m).then(
      (done) => {
        // a new unit has new keys: the attacker who compromises it later gets those
        const keys = m.op === 'replace' && done.mine ? localKeys(mode, [m.node]) : undefined;
        if (keys) link.send({ type: 'keys', keys });
        answer(done);
      },
      (err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        log(`campaign operation ${m.op} failed: ${error}`);
        answer({ mine: true, error });
      },
    );
  };
  return link.listen(onMessage);
}

/**
 * Resolves with the parent's next message of this type (register before asking for it). Once
 * `until` aborts it stops listening and never resolves.
 */
function parentSignal<T extends ParentMessage['type']>(type: T, until: AbortSignal): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve) => {
    const off = () => process.off('message', onMessage);
    const onMessage = (m: ParentMessage) => {
      if (m.type !== type) return;
      off();
      until.removeEventListener('abort', off);
      resolve(m as Extract<ParentMessage, { type: T }>);
    };
    process.on('message', onMessage);
    until.addEventListener('abort', off, { once: true });
  });
}
