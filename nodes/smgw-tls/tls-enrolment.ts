/**
 * When a TN counts as enrolled in smgw-tls mode: the HES accepted its certificate and the TN
 * accepted the HES's (its first handshake passed on both ends). A TN whose HES runs in another
 * process counts once its own side is up: the HES checks the TN's certificate before it sends its
 * Finished, which the TN waits for.
 */
import { untilDone } from '../../core/clock-wait';
import type { NodeId } from '../../core/transport';
import type { TlsFleet } from './tls-fleet';
import type { Clock } from '../../core/clock';

export interface EnrolmentOutcome {
  readonly enrolled: ReadonlySet<NodeId>;
  /** Clock time the last of them enrolled (the start when none did). */
  readonly lastAt: number;
}

/**
 * Calls `start()` (which sets the TNs connecting) and waits until every TN of `tns` is enrolled,
 * `timeoutMs` passed or `stop` aborted; `onEnrolled` hears of each as it happens.
 */
export async function awaitEnrolment(
  fleet: TlsFleet,
  clock: Clock,
  tns: readonly NodeId[],
  timeoutMs: number,
  start: () => void,
  onEnrolled: (tn: NodeId) => void,
  stop?: AbortSignal,
): Promise<EnrolmentOutcome> {
  const wanted = new Set(tns);
  const acceptedByHes = new Set<NodeId>(fleet.hes ? [] : tns);
  const upAtTn = new Set<NodeId>();
  const enrolled = new Set<NodeId>();
  let lastAt = clock.now();
  const changed = new Set<() => void>();
  const note = (tn: NodeId): void => {
    if (!wanted.has(tn) || enrolled.has(tn) || !acceptedByHes.has(tn) || !upAtTn.has(tn)) return;
    enrolled.add(tn);
    lastAt = clock.now();
    onEnrolled(tn);
    for (const check of [...changed]) check();
  };
  const stopHes =
    fleet.hes?.onAccepted((tn) => {
      acceptedByHes.add(tn);
      note(tn);
    }) ?? (() => {});
  const stopTns = fleet.onHandshake((record) => {
    if (!record.ok) return;
    upAtTn.add(record.tn);
    note(record.tn);
  });
  start();
  await untilDone(
    clock,
    (check) => {
      changed.add(check);
      return () => changed.delete(check);
    },
    () => enrolled.size === wanted.size,
    timeoutMs,
    stop,
  );
  stopHes();
  stopTns();
  return { enrolled, lastAt };
}
