/**
 * What the goal oracle remembers of the content genuine parties sent, bounded (issue 13: it
 * remembered every message of a run, 28 KB per TN over 49 h at utility scale). Content lives in two
 * generations: when the current one has taken its fill (entries, recipients and acceptors counted
 * alike), it becomes the previous one and the previous one is forgotten; content sent or accepted
 * again moves to the current one. So the oracle keeps at least the last fill's worth of content,
 * at most two, however long the run.
 *
 * Forgetting weakens no verdict (docs/DESIGN.md 2.1): a node taking content the oracle forgot is
 * judged as taking content no genuine party sent, a violation of the same goal. That is what it is:
 * a genuine sender's content reaches its recipients within a meter round's timeout or not at all,
 * while a fill is several rounds of the whole network's traffic; only a replay (or a hold and
 * release, which is one) brings it back later. Content that stays valid for long is kept for good:
 * the manufacturer's firmware, which a TN may install days after it was released, and what a node
 * the attacker holds signed (the attack's, a few frames; forgetting it would make a replay of it
 * new content again).
 */
import type { NodeId } from '../../core/transport';

/** One content: who sent it, for whom, and (for classes without a counter stream) who took it. */
export interface Content {
  /** Its genuine sender; undefined for content only a node the attacker holds signed. */
  readonly sender: NodeId | undefined;
  /** The oracle's event count when its sender last sent it. */
  at: number;
  /** The nodes a genuine sender said it was for, when the content does not say (smgw-tls: the channel). */
  recipients: Set<NodeId> | undefined;
  /**
   * Who accepted it, as node and signer key, for classes whose receiver keeps no counter stream:
   * a second acceptance is a replay. Nearly always one: a meter response's one HES.
   */
  acceptedBy: string[] | undefined;
}

/** The least fill of a generation: small benches never forget anything. */
export const MIN_GENERATION = 1 << 16;
/**
 * A generation's fill per party the oracle heard of (a sender or an acceptor): the fill grows with
 * the network, so that at any size it spans several meter rounds (utility-48h: about seven entries
 * per TN and hour, so 32 is four to nine hours of traffic; a round times out after 30 minutes).
 */
export const GENERATION_PER_PARTY = 32;

export interface ContentMemoryOptions {
  readonly minGeneration?: number;
  readonly perParty?: number;
}

export class ContentMemory {
  private current = new Map<string, Content>();
  private previous = new Map<string, Content>();
  /** Kept for good: see the module's comment. */
  private readonly kept = new Map<string, Content>();
  private readonly parties = new Set<NodeId>();
  private fill = 0;
  /** How many contents were forgotten so far. */
  forgotten = 0;
  private readonly minGeneration: number;
  private readonly perParty: number;

  constructor(options: ContentMemoryOptions = {}) {
    this.minGeneration = options.minGeneration ?? MIN_GENERATION;
    this.perParty = options.perParty ?? GENERATION_PER_PARTY;
  }

  /** A generation's fill at the network's size so far. */
  get generation(): number {
    return Math.max(this.minGeneration, this.perParty * this.parties.size);
  }

  /** A party took part (sent or accepted): the generations grow with the network. */
  party(node: NodeId): void {
    this.parties.add(node);
  }

  get(digest: string): Content | undefined {
    return this.current.get(digest) ?? this.previous.get(digest) ?? this.kept.get(digest);
  }

  /**
   * The content's entry, made current (a new one from `sender` if the oracle has none), or kept for
   * good when `keep`.
   */
  touch(digest: string, sender: NodeId | undefined, keep = false): Content {
    const kept = this.kept.get(digest);
    if (kept) return kept;
    let content = this.current.get(digest);
    if (content) return content;
    content = this.previous.get(digest);
    if (content) this.previous.delete(digest);
    content ??= { sender, at: 0, recipients: undefined, acceptedBy: undefined };
    if (keep) {
      this.kept.set(digest, content);
      return content;
    }
    this.current.set(digest, content);
    this.grew(1 + (content.recipients?.size ?? 0) + (content.acceptedBy?.length ?? 0));
    return content;
  }

  /** A current entry took `units` more (a recipient, an acceptor). */
  grew(units = 1): void {
    this.fill += units;
    if (this.fill < this.generation) return;
    this.forgotten += this.previous.size;
    this.previous = this.current;
    this.current = new Map();
    this.fill = 0;
  }
}
