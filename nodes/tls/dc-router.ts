import type { NodeId, ReceivedFrame } from '../runtime/transport';
import { countRejection, type TlsNodeDeps } from './node-deps';
import { decodeTlsFrame } from './tls-frame';

/**
 * The DC in smgw-tls mode: a router. It reads the TN address in each TlsRecord frame and forwards
 * the bytes between its PLC segment and its WAN link, both ways, without touching the TLS inside.
 * Like a router's ingress filter it drops frames whose TN address is not on its segment, and
 * frames from a TN claiming another TN's address.
 */
export interface DcRouterOptions {
  readonly hes: NodeId;
  readonly tns: readonly NodeId[];
}

export interface DcRouterStats {
  up: number;
  down: number;
  rejected: number;
}

export class TlsDcRouter {
  readonly stats: DcRouterStats = { up: 0, down: 0, rejected: 0 };
  private readonly tns: ReadonlySet<NodeId>;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly options: DcRouterOptions,
    private readonly deps: TlsNodeDeps,
  ) {
    this.tns = new Set(options.tns);
    this.unsubscribe = deps.transport.onFrame((received) => this.route(received));
  }

  private route({ frame, from }: ReceivedFrame): void {
    const decoded = decodeTlsFrame(frame);
    if (!decoded.ok) return this.reject(decoded.reason, from);
    const { tn } = decoded.value;
    if (from === this.options.hes) {
      if (!this.tns.has(tn)) return this.reject('wrong-recipient', from);
      this.stats.down++;
      this.deps.transport.send(tn, frame);
    } else if (this.tns.has(from)) {
      if (tn !== from) return this.reject('wrong-sender', from);
      this.stats.up++;
      this.deps.transport.send(this.options.hes, frame);
    } else {
      this.reject('unknown-sender', from);
    }
  }

  private reject(reason: string, from: NodeId): void {
    this.stats.rejected++;
    countRejection(this.deps.metrics, 'dc', reason, from);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.deps.transport.close();
  }
}
