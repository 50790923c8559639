/**
 * The HES's way of reaching every TN in smgw-tls mode: nothing can be multicast, so a request goes
 * down each TN's channel (or waits in the HES's queue for it) and each TN answers on its own.
 */
import type { Clock } from '../../core/clock';
import { untilDone } from '../../core/clock-wait';
import type { NodeId } from '../../core/transport';
import type { AppMessage } from './app-message';
import type { TlsHes } from './hes-node';

export interface RoundOutcome {
  /** The answer each TN gave, in the order they came. */
  readonly answers: ReadonlyMap<NodeId, AppMessage>;
  /** TNs that did not answer in time. */
  readonly missing: NodeId[];
  /** From `startedAt` to the last answer, or to the timeout when some are missing. */
  readonly durationMs: number;
}

/**
 * Sends every TN in `tns` the request and waits until each gave an answer that `takes` accepts,
 * or `timeoutMs` passed, or `stop` aborted (the mode closed).
 */
export async function askEveryTn(
  hes: TlsHes,
  clock: Clock,
  tns: readonly NodeId[],
  request: AppMessage,
  takes: (message: AppMessage) => boolean,
  startedAt: number,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<RoundOutcome> {
  const waiting = new Set(tns);
  const answers = new Map<NodeId, AppMessage>();
  let lastAt = startedAt;
  const stopListening = hes.onMessage((tn, message) => {
    if (!takes(message) || !waiting.has(tn)) return;
    waiting.delete(tn);
    answers.set(tn, message);
    lastAt = clock.now();
  });
  for (const tn of tns) hes.send(tn, request);
  const all = await untilDone(
    clock,
    (check) => hes.onMessage(check),
    () => waiting.size === 0,
    timeoutMs,
    stop,
  );
  stopListening();
  return { answers, missing: [...waiting], durationMs: (all ? lastAt : clock.now()) - startedAt };
}
