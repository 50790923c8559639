import type { NodeId } from '../core/transport';
import { PROOF_BYTES, verifyHello, type BrokerAuth } from './broker-auth';
import type { RejectReason } from './channel';
import { control, MSG } from './envelope';

/** What the peer registry needs of the broker around it. */
export interface PeerHost {
  readonly topology: { has(node: NodeId): boolean };
  /** With authentication: HELLO must prove the routing id's key (broker-auth.ts). */
  readonly auth?: BrokerAuth | undefined;
  reject(reason: RejectReason, from: string): void;
  reply(to: Buffer, msg: Buffer): void;
}

/**
 * The nodes the broker knows (channel/README.md, "Node identity" and "Restarts"): a routing id is
 * registered by its HELLO (with authentication, a HELLO that proves its key) and forgotten by its
 * BYE or when a send to it finds no connection. Frames from a routing id that is not registered
 * are refused and counted: `unauthenticated` when its HELLO failed the proof, `not-registered`
 * otherwise (a node the broker lost track of, as after a restart), and the node is asked to say
 * HELLO again. Without authentication a node in the topology that sends frames is registered by
 * them, as before HELLO existed.
 */
export class BrokerPeers {
  private readonly registered = new Set<NodeId>();
  /** Routing ids whose last HELLO failed the proof, until one succeeds. */
  private readonly refused = new Set<NodeId>();

  constructor(private readonly host: PeerHost) {}

  has(node: NodeId): boolean {
    return this.registered.has(node);
  }

  list(): NodeId[] {
    return [...this.registered];
  }

  /** Whether the routing id may be heard at all; refuses and counts an identity outside the topology. */
  known(id: NodeId, idBuf: Buffer, msg: Buffer | undefined): boolean {
    if (this.host.topology.has(id)) return true;
    this.host.reject('unknown-identity', id.slice(0, 64));
    if (msg?.[0] === MSG.HELLO) this.host.reply(idBuf, control(MSG.REFUSED, `identity "${id.slice(0, 64)}" is not in the topology`));
    return false;
  }

  hello(id: NodeId, idBuf: Buffer, msg: Buffer): void {
    const { auth } = this.host;
    if (auth && (msg.length !== 1 + PROOF_BYTES || !verifyHello(id, msg.subarray(1), auth))) {
      this.registered.delete(id);
      this.refused.add(id);
      this.host.reject('unauthenticated', id);
      this.host.reply(idBuf, control(MSG.REFUSED, `identity "${id}" not proven: its HELLO does not prove the key provisioned for it`));
      return;
    }
    this.refused.delete(id);
    this.registered.add(id);
    this.host.reply(idBuf, control(MSG.WELCOME));
  }

  bye(id: NodeId): void {
    this.registered.delete(id);
  }

  /** A send found no connection for the node: it must say HELLO again to be delivered to. */
  lost(id: NodeId): void {
    this.registered.delete(id);
  }

  /** Undefined when frames from the routing id enter the channel; otherwise why not (the caller counts each frame). */
  refusal(id: NodeId, idBuf: Buffer): RejectReason | undefined {
    if (this.registered.has(id)) return undefined;
    if (!this.host.auth) {
      this.registered.add(id);
      return undefined;
    }
    if (this.refused.has(id)) return 'unauthenticated';
    this.host.reply(idBuf, control(MSG.HELLO_AGAIN));
    return 'not-registered';
  }
}
