/**
 * What a node host process (gridbench node) and the parent of a --processes run tell each other
 * over the IPC channel. A host started without a parent (the docker lab) runs on its own.
 *
 * started: the host is up and watches its parent (it stops when the parent goes away); a parent
 * waits for this, or for the host's exit, never for a fixed time.
 *
 * connected -> bootstrap: a host attaches its nodes to the broker, says so, and bootstraps when
 * the parent has heard it from every host. On the real clock a frame to a node whose process is
 * not attached yet is lost, and what is lost at bootstrap waits out a retry timer (a TLS
 * ClientHello: the 16 s initial retransmission timeout).
 */
import type { BootstrapReport } from '../../nodes/mode';
import type { Sample } from '../../core/metrics';
import type { WorkloadFacts } from './workload';

export type HostMessage =
  | { readonly type: 'started' }
  | { readonly type: 'connected' }
  | { readonly type: 'samples'; readonly samples: readonly Sample[] }
  | { readonly type: 'bootstrapped'; readonly report: BootstrapReport }
  | { readonly type: 'done'; readonly facts: WorkloadFacts }
  | { readonly type: 'failed'; readonly error: string };

export type ParentMessage =
  { readonly type: 'bootstrap' } | { readonly type: 'start'; readonly startAt: number } | { readonly type: 'stop' };
