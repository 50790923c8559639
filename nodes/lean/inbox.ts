/**
 * The one message loop of a lean node: decode, hand the frame to the node's handler, count every
 * refusal by reason. Nothing that arrives from the wire can throw past this point.
 */
import { decodeFrame, type Frame } from '../protocol/frame';
import { MESSAGE_CLASS_NAMES, peekClassName, type MessageClass } from '../protocol/message-class';
import type { Rejection } from '../protocol/rejection';
import type { Metrics } from '../../core/metrics';
import type { ReceivedFrame, Transport } from '../../core/transport';

export type FrameHandler = (frame: Frame, received: ReceivedFrame) => Rejection | void;

export interface Inbox {
  stop(): void;
  /** Counts a refusal of a frame the handler took in and judged later (a held firmware chunk). */
  refuse(rejection: Rejection, received: ReceivedFrame): void;
}

export function openInbox(role: string, transport: Transport, metrics: Metrics, handle: FrameHandler): Inbox {
  let warnedInternal = false;
  const refuse = (cls: MessageClass | undefined, rejection: Rejection, received: ReceivedFrame) => {
    const className = cls === undefined ? peekClassName(received.frame) : (MESSAGE_CLASS_NAMES[cls] ?? 'unknown');
    metrics.emit(
      'frame_rejected',
      { count: 1, from: received.from },
      { role, class: className, reason: rejection.reason, ...(received.attack ? { attack: received.attack } : {}) },
    );
  };
  const stop = transport.onFrame((received) => {
    const decoded = decodeFrame(received.frame);
    if (!decoded.ok) return refuse(undefined, decoded, received);
    try {
      const refusal = handle(decoded.value, received);
      if (refusal) refuse(decoded.value.cls, refusal, received);
    } catch (err) {
      if (!warnedInternal) {
        warnedInternal = true;
        console.error(`gridbench: ${transport.self}: internal error handling a frame: ${(err as Error).stack ?? err}`);
      }
      refuse(decoded.value.cls, { ok: false, reason: 'internal-error', detail: String(err) }, received);
    }
  });
  return { stop, refuse: (rejection, received) => refuse(undefined, rejection, received) };
}
