import type { Destination, NodeId } from '../core/transport';
import type { Direction } from '../core/topology';

/** A frame seen on the wire by a tap: the attacker's recording position. */
export interface TapEvent {
  readonly time: number;
  readonly link: string;
  readonly kind: 'wan' | 'plc';
  readonly direction: Direction;
  readonly from: NodeId;
  readonly to: Destination;
  readonly className: string;
  readonly bytes: Uint8Array;
  readonly sentAt: number;
  /** Id of the interceptor that injected it, 'control' for control API injections; absent for node frames. */
  readonly injectedBy?: string;
}
export type TapHandler = (event: TapEvent) => void;

/** Who listens to the frames entering the links. */
export class Taps {
  private readonly handlers = new Set<TapHandler>();

  /** Returns the unsubscriber. */
  add(handler: TapHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Whether any tap listens: callers build events only then, off the hot path of an untapped wire. */
  get listening(): boolean {
    return this.handlers.size > 0;
  }

  /** Shows a frame to every tap. */
  show(event: TapEvent): void {
    for (const tap of this.handlers) {
      try {
        tap(event);
      } catch {
        // A faulty tap must not take the wire down.
      }
    }
  }
}
