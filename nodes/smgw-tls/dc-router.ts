import type { FrameTrace, NodeId, ReceivedFrame } from '../../core/transport';
import type { TlsNodeDeps } from './node-deps';
import { countRejection, decodeRefusal, type RefusalTags } from './refusal';
import { decodeTlsFrame } from './tls-frame';

/**
 * The DC in smgw-tls mode: a router. It reads the TN address in each TlsRecord frame and forwards
 * the bytes between its PLC segment and its WAN link, both ways, without touching the TLS inside.
 * Like a router's ingress filter it drops frames whose TN address is not on its segment, and
 * frames from a TN claiming another TN's address. A frame it forwards keeps its send time and its
 * attack label (the bench's measurement aids), as a lean DC's relay does.
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

  private route({ frame, from, sentAt, attack }: ReceivedFrame): void {
    const decoded = decodeTlsFrame(frame);
    if (!decoded.ok) {
      const refusal = decodeRefusal(frame, decoded);
      return this.reject(refusal.reason, from, { attack, class: refusal.class });
    }
    const { tn } = decoded.value;
    const trace: FrameTrace = { sentAt, ...(attack ? { attack } : {}) };
    if (from === this.options.hes) {
      if (!this.tns.has(tn)) return this.reject('wrong-recipient', from, { attack });
      this.stats.down++;
      this.deps.transport.send(tn, frame, trace);
    } else if (this.tns.has(from)) {
      if (tn !== from) return this.reject('wrong-sender', from, { attack });
      this.stats.up++;
      this.deps.transport.send(this.options.hes, frame, trace);
    } else {
      this.reject('unknown-sender', from, { attack });
    }
  }

  private reject(reason: string, from: NodeId, tags: RefusalTags): void {
    this.stats.rejected++;
    countRejection(this.deps.metrics, 'dc', reason, from, tags);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.deps.transport.close();
  }
}
