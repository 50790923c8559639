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
 * --out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Topology } from '../../core/topology';
import { createZmqNetwork } from '../../channel/zmq-transport';
import { hasChannelKeys, loadNodeAuth } from '../../channel/broker-auth';
import { CryptoOpCounter } from '../../nodes/crypto/op-counter';
import { MODE_NAMES, modeDefinition, type ModeName } from '../../nodes/modes';
import { RealClock, type TimerHandle } from '../../core/clock';
import { createMetrics, type Sample } from '../../core/metrics';
import { Random } from '../../core/random';
import { stateStoreFor } from '../../nodes/store/state-dir';
import { MetricsOutputs } from '../metrics/metrics-outputs';
import { createOutputs } from '../metrics/out-spec';
import { Timebase } from '../metrics/timebase';
import type { Scenario } from '../scenario/schema';
import type { NodeId } from '../../core/transport';
import { createBoards } from './boards';
import type { HostMessage, Observed, ParentMessage } from './host-messages';
import { localKeys, parentOperator, relayObserver, runHostOp } from './host-ops';
import { createScenarioMode, type RunnableMode } from './mode-factory';
import { hostDirName, selectNodes } from './node-selection';
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
  // a run with campaigns judges goals in the parent: what the nodes tell the oracle goes there
  const relaying = parent !== undefined && scenario.campaigns.length > 0;
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
  const flush = () => {
    if (observed.length) {
      parent?.({ type: 'observed', events: observed.splice(0) });
    }
    if (pendingSamples.length === 0) return;
    const batch = pendingSamples;
    pendingSamples = [];
    if (parent) parent({ type: 'samples', samples: batch });
    else outputs!.addSamples(batch);
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
  const operator = parentOperator((m) => parent?.(m));
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
      ...(relaying ? { oracle: relayObserver(clock, observed), operator } : {}),
    });
    const mode = countingWorkload(built, facts, metrics);
    if (relaying) {
      stopOps = serveOps(mode, topology, local, log, operator.answered);
      const keys = localKeys(mode, nodes);
      if (keys) parent({ type: 'keys', keys });
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
    await outputs?.stop();
  }
  if (parent) {
    // the IPC channel would keep this process alive: say done, then let go of it
    await new Promise<void>((resolve) => process.send!({ type: 'done', facts } satisfies HostMessage, () => resolve()));
    lettingGo = true;
    process.disconnect();
  }
}

/** Runs the mode operations the parent asks for (a campaign's), answering each; returns the function that stops. */
function serveOps(
  mode: RunnableMode,
  topology: Topology,
  local: (node: NodeId) => boolean,
  log: (line: string) => void,
  registered: (m: ParentMessage) => void,
): () => void {
  const onMessage = (m: ParentMessage) => {
    registered(m);
    if (m.type !== 'op') return;
    const answer = (a: Omit<Extract<HostMessage, { type: 'op-done' }>, 'type' | 'id'>) => {
      if (process.connected) process.send!({ type: 'op-done', id: m.id, ...a } satisfies HostMessage);
    };
    runHostOp(mode, topology, local, m).then(
      (done) => {
        // a new unit has new keys: the attacker who compromises it later gets those
        const keys = m.op === 'replace' && done.mine ? localKeys(mode, [m.node]) : undefined;
        if (keys && process.connected) process.send!({ type: 'keys', keys } satisfies HostMessage);
        answer(done);
      },
      (err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        log(`campaign operation ${m.op} failed: ${error}`);
        answer({ mine: true, error });
      },
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
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
