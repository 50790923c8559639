/**
 * What the coordinator of a partitioned run (coordinator.ts, the main thread) and the worker
 * threads hosting its partitions (worker.ts, partition-host.ts) tell each other: one message per
 * worker per window in each direction (worker_threads postMessage: a structured clone, so frames
 * and keys cross as bytes).
 *
 * window: the coordinator hands each hosted partition the frames other partitions shipped to it
 * in the last window (in (at, source partition, sequence) order), the run's start time once
 * bootstrap has ended, and the horizon H; every partition fires its timers before H and answers
 * with what its window produced (PartitionReport). close: the run's end; each partition closes its
 * mode and answers with its last report and its facts.
 */
import type { RemoteDelivery } from '../../../channel/emulated-network';
import type { Sample } from '../../../core/metrics';
import type { NodeId } from '../../../core/transport';
import type { Identity } from '../../../nodes/lean/identity';
import type { BootstrapReport } from '../../../nodes/mode';
import type { ModeName } from '../../../nodes/modes';
import type { Scenario } from '../../scenario/schema';
import type { Observed } from '../host-messages';
import type { WorkloadFacts } from '../workload';
import type { Partition } from './plan';

/**
 * What a partition's nodes told the goal oracle (host-messages.ts Observed, stamped with the
 * partition's virtual time), and the sealed frames its wire carried, for the confidentiality judge
 * in the coordinator (it holds every partition's keys, as the --processes relay does).
 */
export type PartitionEvent = Observed | { readonly at: number; readonly kind: 'frame'; readonly bytes: Uint8Array };

/** A worker's partitions, handed over as workerData. */
export interface WorkerSetup {
  readonly scenario: Scenario;
  readonly mode: ModeName;
  readonly runId: string;
  /** Each hosted partition and the state directory exported for it (provision.ts exportHostState). */
  readonly partitions: readonly { readonly partition: Partition; readonly stateDir: string }[];
}

/** What one partition did in a window. */
export interface PartitionReport {
  readonly partition: number;
  /** Frames its senders completed for nodes of other partitions, in the order it shipped them. */
  readonly shipped: readonly RemoteDelivery[];
  readonly events: readonly PartitionEvent[];
  readonly samples: readonly Sample[];
  /** Once, in the window its mode's bootstrap resolved. */
  readonly bootstrapped?: BootstrapReport;
  /** The time of its next timer; undefined when none is left. */
  readonly next: number | undefined;
  /** Timers fired so far and frames its senders offered so far (progress). */
  readonly fired: number;
  readonly framesOffered: number;
  /** Wall milliseconds its window took in the worker (the per-window measurement). */
  readonly workMs: number;
}

/** A partition at the run's end. */
export interface PartitionEnd {
  readonly partition: number;
  readonly facts: WorkloadFacts;
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Its network's counters over every link (the link directions its senders own) and the frames it shipped to other partitions. */
  readonly channel: {
    readonly framesOffered: number;
    readonly framesDelivered: number;
    readonly dropsLoss: number;
    readonly shipped: number;
  };
}

export type CoordinatorMessage =
  | {
      readonly type: 'window';
      readonly horizon: number;
      /** The run's start (the first window after bootstrap ended): each partition starts its workload then. */
      readonly startAt?: number;
      /** Per hosted partition, in the worker's order: the frames shipped to it. */
      readonly deliveries: readonly (readonly RemoteDelivery[])[];
    }
  | { readonly type: 'close' };

export type WorkerMessage =
  /** Built and bootstrapping: each partition's first report and its nodes' keys (a mode with node keys). */
  | { readonly type: 'built'; readonly reports: readonly PartitionReport[]; readonly keys: Readonly<Record<NodeId, Identity>> }
  | { readonly type: 'window'; readonly reports: readonly PartitionReport[] }
  | { readonly type: 'closed'; readonly reports: readonly PartitionReport[]; readonly ends: readonly PartitionEnd[] }
  | { readonly type: 'failed'; readonly error: string };
