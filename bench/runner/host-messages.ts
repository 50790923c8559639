/**
 * What a node host process (gridbench node) and the parent of a --processes run tell each other
 * over the IPC channel. A host started without a parent (the docker lab) runs on its own.
 */
import type { BootstrapReport } from '../../nodes/mode';
import type { Sample } from '../../nodes/runtime/metrics';
import type { WorkloadFacts } from './workload';

export type HostMessage =
  | { readonly type: 'samples'; readonly samples: readonly Sample[] }
  | { readonly type: 'bootstrapped'; readonly report: BootstrapReport }
  | { readonly type: 'done'; readonly facts: WorkloadFacts }
  | { readonly type: 'failed'; readonly error: string };

export type ParentMessage = { readonly type: 'start'; readonly startAt: number } | { readonly type: 'stop' };
