/**
 * One partition of a partitioned run (issue 13), in a worker thread: its nodes (the HES, or some
 * DCs with their TNs) on a VirtualClock of its own and an emulated network of its own over the
 * whole topology, whose WAN frames for another partition's node are shipped (channel remote)
 * rather than delivered here. Built as a --processes host is (node-host.ts): from the state
 * directory provisioning exported for its nodes only (their keys, with a crypto stream of its own),
 * the mode with `local`, and the part of the workload its own nodes originate. It never moves its
 * clock on its own: the coordinator's windows do (window()).
 */
import type { EmulatedNetwork, RemoteDelivery } from '../../../channel/emulated-network';
import { VirtualClock } from '../../../core/clock';
import { createMetrics, type Metrics, type Sample } from '../../../core/metrics';
import { Random } from '../../../core/random';
import { Topology } from '../../../core/topology';
import type { TnBoard } from '../../../nodes/boards/board';
import { CryptoOpCounter } from '../../../nodes/crypto/op-counter';
import type { BootstrapReport } from '../../../nodes/mode';
import { MESSAGE_CLASS_NAMES, MessageClass } from '../../../nodes/protocol/message-class';
import { stateStoreInMemory } from '../../../nodes/store/state-dir';
import { createBoards } from '../boards';
import type { Observed } from '../host-messages';
import { localKeys, relayObserver } from '../host-ops';
import { createScenarioMode, type RunnableMode } from '../mode-factory';
import { loadHostState } from '../provision';
import { framesOffered, scenarioNetwork } from '../run';
import { CRYPTO_REPORT_MS, every, Schedule } from '../schedule';
import { countingWorkload, scheduleWorkload, type WorkloadFacts } from '../workload';
import type { PartitionEnd, PartitionEvent, PartitionReport, WorkerSetup } from './messages';

/** The frames the confidentiality judge opens (nodes/oracle/confidentiality.ts): sealed ones. */
const SEALED = new Set([MESSAGE_CLASS_NAMES[MessageClass.Confidential], MESSAGE_CLASS_NAMES[MessageClass.MeterResponse]]);

export class PartitionHost {
  private readonly clock = new VirtualClock();
  private readonly network: EmulatedNetwork;
  private readonly boards: ReadonlyMap<string, TnBoard>;
  private readonly mode: RunnableMode;
  private readonly built: RunnableMode;
  private readonly facts: WorkloadFacts = { commands: 0, addressed: 0, commandBytes: [], firmwareRollouts: 0 };
  private readonly cryptoOps = new CryptoOpCounter();
  private readonly cryptoReports: { cancel(): void };
  private shipped: RemoteDelivery[] = [];
  private readonly observed: Observed[] = [];
  private frames: PartitionEvent[] = [];
  private samples: Sample[] = [];
  private readonly untap: () => void;
  private bootstrapped?: BootstrapReport;
  private bootstrapError?: unknown;
  private reportedBootstrap = false;
  private schedule?: Schedule;
  private released = false;
  private shippedCount = 0;
  private channelTotals: PartitionEnd['channel'] = { framesOffered: 0, framesDelivered: 0, dropsLoss: 0, shipped: 0 };
  private readonly pending: Promise<unknown>[] = [];
  private readonly nodes: ReadonlySet<string>;
  private readonly topology: Topology;
  private readonly metrics: Metrics;

  constructor(
    private readonly setup: WorkerSetup,
    readonly index: number,
    stateDir: string,
  ) {
    const { scenario, mode: name, runId } = setup;
    const { partition } = setup.partitions.find((p) => p.partition.index === index)!;
    const topology = (this.topology = Topology.build(scenario.topology.dcs, scenario.topology.tnsPerDc));
    this.nodes = new Set(partition.nodes);
    const local = (node: string) => this.nodes.has(node);
    const clock = this.clock;
    // the run's seed, as in process: the channel's streams are forked per link, direction and
    // receiver (channel/links.ts), so the sender's side draws what the whole wire would
    const random = new Random(scenario.seed);
    const metrics = (this.metrics = createMetrics(clock, (s) => this.samples.push(s), { run: runId, scenario: scenario.name, mode: name }));
    this.network = scenarioNetwork(scenario, {
      topology,
      clock,
      random,
      metrics,
      remote: {
        isLocal: local,
        ship: (delivery) => {
          this.shipped.push(delivery);
          this.shippedCount++;
        },
      },
    });
    this.boards = createBoards(scenario, topology, clock, random, metrics, local);
    this.built = createScenarioMode(name, {
      scenario,
      topology,
      clock,
      network: this.network,
      metrics,
      random,
      boards: this.boards,
      local,
      cryptoOps: this.cryptoOps,
      // its nodes' keys from its share of the provisioning, then in memory (the run is not resumed)
      storeFor: stateStoreInMemory(stateDir),
      // each partition's keys and nonces are a seeded stream of its own, whatever thread runs it
      cryptoLabel: `${name}/partition/${index}`,
      hostState: loadHostState(scenario, stateDir, name, local, 'virtual'),
      oracle: relayObserver(this.observed, () => clock.now()),
    });
    this.mode = countingWorkload(this.built, this.facts, metrics);
    // the judge is the coordinator's, which holds every partition's keys: the sealed frames go there
    this.untap = this.mode.keysOf
      ? this.network.control.tap((e) => {
          if (SEALED.has(e.className)) this.frames.push({ at: clock.now(), kind: 'frame', bytes: e.bytes });
        })
      : () => {};
    this.cryptoReports = every(clock, CRYPTO_REPORT_MS, () => this.cryptoOps.report(metrics));
  }

  /** Starts bootstrapping (the windows run it) and reports the first timer; with its nodes' keys. */
  async begin(): Promise<{ report: PartitionReport; keys: ReturnType<typeof localKeys> }> {
    const started = performance.now();
    await Promise.all([...this.boards.values()].map((b) => b.ready()));
    this.mode.bootstrap().then(
      (report) => (this.bootstrapped = report),
      (err: unknown) => (this.bootstrapError = err),
    );
    // what bootstrap set going without a timer (a promise chain) is in before the first window
    await this.clock.settle();
    return { report: this.report(started), keys: localKeys(this.mode, this.nodes) };
  }

  /** One window: the frames other partitions shipped here, the run's start if it is now, every timer before `horizon`. */
  async window(horizon: number, deliveries: readonly RemoteDelivery[], startAt?: number): Promise<PartitionReport> {
    const started = performance.now();
    for (const d of deliveries) this.network.deliverRemote(d);
    if (startAt !== undefined) {
      this.schedule = new Schedule(this.clock, startAt);
      scheduleWorkload(this.setup.scenario, this.topology, this.mode, this.schedule, this.pending, (n) => this.nodes.has(n));
    }
    await this.clock.runBefore(horizon);
    if (this.bootstrapError !== undefined) throw this.bootstrapError;
    return this.report(started);
  }

  /** The run's end: closes the mode as runMode does (run.ts), then the wire; the last report and the facts. */
  async close(): Promise<{ report: PartitionReport; end: PartitionEnd }> {
    const started = performance.now();
    this.schedule?.cancel();
    try {
      await this.mode.close();
      await Promise.allSettled(this.pending);
    } finally {
      await this.release();
    }
    const parameters = this.built.parameters;
    const end = { partition: this.index, facts: this.facts, channel: this.channelTotals, ...(parameters ? { parameters } : {}) };
    return { report: this.report(started), end };
  }

  /** Frees what it holds on any path (a failed run too); idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const totals = { framesOffered: 0, framesDelivered: 0, dropsLoss: 0, shipped: this.shippedCount };
    for (const link of Object.values(this.network.control.stats().links))
      for (const c of [link.up, link.down]) {
        totals.framesOffered += c.framesOffered;
        totals.framesDelivered += c.framesDelivered;
        totals.dropsLoss += c.dropsLoss;
      }
    this.channelTotals = totals;
    this.schedule?.cancel();
    this.untap();
    this.cryptoReports.cancel();
    await this.mode.close().catch(() => {});
    this.cryptoOps.report(this.metrics);
    await Promise.all([...this.boards.values()].map((b) => b.close()));
    await this.network.close();
  }

  private report(started: number): PartitionReport {
    const bootstrapped = !this.reportedBootstrap && this.bootstrapped ? this.bootstrapped : undefined;
    if (bootstrapped) this.reportedBootstrap = true;
    const events: PartitionEvent[] = [...this.observed.splice(0), ...this.frames];
    this.frames = [];
    const report: PartitionReport = {
      partition: this.index,
      shipped: this.shipped,
      events,
      samples: this.samples,
      ...(bootstrapped ? { bootstrapped } : {}),
      next: this.clock.nextTimerAt(),
      fired: this.clock.fired,
      framesOffered: framesOffered(this.network),
      workMs: performance.now() - started,
    };
    this.shipped = [];
    this.samples = [];
    return report;
  }
}
