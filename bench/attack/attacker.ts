/**
 * The attacker's toolbox, as the security tests and the campaigns use it. It has exactly the two
 * positions docs/DESIGN.md section 3 grants: the wire (record, drop, alter, replay and inject
 * frames through the channel's control API) and compromised nodes (their keys). It forges with
 * the same frame builders honest nodes use, with whatever keys it holds, and counts what it put
 * on the wire.
 */
import type { ChannelControl } from '../../channel/control';
import type { TapEvent } from '../../channel/taps';
import type { InterceptorContext, Matcher } from '../../channel/interceptor';
import type { WireFrame } from '../../channel/frame';
import type { CryptoBackend } from '../../nodes/crypto/backend';
import type { Identity } from '../../nodes/lean/identity';
import { Manufacturer } from '../../nodes/lean/manufacturer';
import type { Destination, NodeId } from '../../core/transport';

export interface Recording {
  readonly frames: TapEvent[];
  stop(): void;
}

export interface AttackerOptions {
  readonly control: ChannelControl;
  readonly crypto: CryptoBackend;
  /** Keys of a node the attacker compromised (lean mode's keysOf). */
  readonly keysOf?: (node: NodeId) => Identity;
  /**
   * Label every frame of this attacker carries to its receivers (ReceivedFrame.attack), so that
   * refusals and violations are attributed to it; campaigns use `<campaign>:<goal>`.
   */
  readonly name?: string;
  /** Told of every node the attacker compromises (the campaigns tell the goal oracle). */
  readonly onCompromise?: (node: NodeId) => void;
  /** Told after each frame one of this attacker's recordings took (a campaign's `until` checks then). */
  readonly onRecorded?: () => void;
}

export class Attacker {
  /** The attacker's own key pairs: valid P-256 keys nobody trusts. */
  readonly keys: Identity;
  /** A root key of the attacker's own, to mint certificates and firmware "from the manufacturer". */
  readonly rogueManufacturer: Manufacturer;
  /** Frames this attacker put on the wire (injected, replayed or altered). */
  injected = 0;
  private interceptors = 0;
  private readonly compromised = new Map<NodeId, Identity>();
  private readonly name: string;

  constructor(private readonly options: AttackerOptions) {
    this.keys = { sign: options.crypto.generateKeyPair(), enc: options.crypto.generateKeyPair() };
    this.rogueManufacturer = Manufacturer.create(options.crypto);
    this.name = options.name ?? 'attacker';
  }

  get crypto(): CryptoBackend {
    return this.options.crypto;
  }

  /**
   * Hands the attacker a node's keys: from now on it can sign and decrypt as that node. They are
   * the keys of the unit it compromised: a replacement unit's new keys are not the attacker's.
   */
  compromise(node: NodeId): Identity {
    if (!this.options.keysOf) throw new Error(`cannot compromise ${node}: this mode has no lean-protocol keys to hand out`);
    let keys = this.compromised.get(node);
    if (!keys) {
      this.compromised.set(node, (keys = this.options.keysOf(node)));
      this.options.onCompromise?.(node);
    }
    return keys;
  }

  /** Records every frame the matcher selects, from now until stop(). */
  record(match: Matcher = {}): Recording {
    const frames: TapEvent[] = [];
    const stop = this.options.control.tap((event) => {
      if (event.injectedBy) return;
      frames.push(event);
      this.options.onRecorded?.();
    }, match);
    return { frames, stop };
  }

  /** Puts a frame on the link between `from` and `to`, claiming `from` sent it. */
  inject(from: NodeId, to: Destination, bytes: Uint8Array): void {
    this.injected++;
    this.options.control.inject({ from, to, bytes, attack: this.name });
  }

  /** Sends a recorded frame again, on its own link or, with `as`, between other nodes. */
  replay(frame: TapEvent, as?: { from: NodeId; to: Destination }): void {
    this.inject(as?.from ?? frame.from, as?.to ?? frame.to, frame.bytes);
  }

  /** Drops every frame the matcher selects until the returned function is called. */
  block(match: Matcher): () => void {
    return this.intercept(match, (frame, ctx) => ctx.drop(frame));
  }

  /**
   * Runs `fn` on every frame the matcher selects: it decides through ctx whether the frame goes
   * on (ctx.forward), goes on altered (ctx.tamper, counted as an attacker frame), or dies.
   */
  intercept(match: Matcher, fn: (frame: WireFrame, ctx: InterceptorContext) => void): () => void {
    const id = `${this.name}:${++this.interceptors}`;
    this.options.control.addCustomInterceptor(
      (frame, ctx) =>
        fn(frame, {
          ...ctx,
          tamper: (f, bytes) => {
            this.injected++;
            ctx.tamper(f, bytes);
          },
          inject: (f) => {
            this.injected++;
            ctx.inject(f);
          },
        }),
      { id, match, type: 'attacker' },
    );
    return () => this.options.control.removeInterceptor(id);
  }
}
