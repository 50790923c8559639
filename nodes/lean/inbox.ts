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
  return new NodeInbox(role, transport, metrics, handle);
}

/** An instance per node, its methods on the prototype rather than closures of its own (a million TNs, issue 13). */
class NodeInbox implements Inbox {
  private warnedInternal = false;
  readonly stop: () => void;

  constructor(
    private readonly role: string,
    private readonly transport: Transport,
    private readonly metrics: Metrics,
    private readonly handle: FrameHandler,
  ) {
    this.stop = transport.onFrame((received) => this.receive(received));
  }

  refuse(rejection: Rejection, received: ReceivedFrame): void {
    this.count(undefined, rejection, received);
  }

  private receive(received: ReceivedFrame): void {
    const decoded = decodeFrame(received.frame);
    if (!decoded.ok) return this.count(undefined, decoded, received);
    try {
      const refusal = this.handle(decoded.value, received);
      if (refusal) this.count(decoded.value.cls, refusal, received);
    } catch (err) {
      if (!this.warnedInternal) {
        this.warnedInternal = true;
        console.error(`gridbench: ${this.transport.self}: internal error handling a frame: ${(err as Error).stack ?? err}`);
      }
      this.count(decoded.value.cls, { ok: false, reason: 'internal-error', detail: String(err) }, received);
    }
  }

  private count(cls: MessageClass | undefined, rejection: Rejection, received: ReceivedFrame): void {
    const className = cls === undefined ? peekClassName(received.frame) : (MESSAGE_CLASS_NAMES[cls] ?? 'unknown');
    this.metrics.emit(
      'frame_rejected',
      { count: 1, from: received.from },
      { role: this.role, class: className, reason: rejection.reason, ...(received.attack ? { attack: received.attack } : {}) },
    );
  }
}
