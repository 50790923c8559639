/**
 * Confidentiality, judged on the wire (docs/DESIGN.md 2.1, secure_TN_HES and secure_HES_TN): a
 * confidential message or a meter reading that anyone but its intended recipient can decrypt is
 * a violation, whoever reads it and whether or not anyone does. The judge knows the decryption key
 * of every unit that ever held one (a replaced unit's key stays known: the old unit is out of the
 * operator's hands), and tries each key but the recipient's current one on every sealed frame it
 * sees once. Modes without per-node keys (smgw-tls: TLS channels) give it none and it judges nothing.
 *
 * It tries the recipient's current key first: a box that key opens opens under no other (the box
 * key is derived from the recipient's key pair, and an AEAD tag checks under another key with
 * probability 2^-128), so the other keys are tried only for a box its recipient cannot open - one
 * sealed to another key, or garbage. An honest frame costs one opening, not one per unit: with
 * every key tried, a meter round of N TNs cost N^2 openings (issue 13: 10,000 TNs stalled for
 * minutes on each round).
 */
import { createHash } from 'node:crypto';
import { toHex } from '../../core/bytes';
import type { NodeId } from '../../core/transport';
import type { CryptoBackend } from '../crypto/backend';
import { decodeFrame } from '../protocol/frame';
import { MessageClass } from '../protocol/message-class';

export interface UnitKeys {
  /** The unit's decryption key (the secret half of the key it is sealed to). */
  readonly encSecretKey: Uint8Array;
  /** Its public half: identifies the unit. */
  readonly encPublicKey: Uint8Array;
}

export interface KeyCustody {
  /** Every node that holds a decryption key. */
  readonly nodes: readonly NodeId[];
  /** The key of the node's current unit (after a replacement, the new unit's). */
  readonly keysOf: (node: NodeId) => UnitKeys;
  readonly crypto: Pick<CryptoBackend, 'open'>;
}

export interface Exposure {
  readonly goal: 'secure_TN_HES' | 'secure_HES_TN';
  readonly recipient: NodeId;
  readonly detail: string;
}

export class ConfidentialityJudge {
  /** public key (hex) -> the node whose unit held it, for every unit seen so far */
  private readonly units = new Map<string, { node: NodeId; key: UnitKeys; generation: number }>();
  private readonly generations = new Map<NodeId, number>();
  private readonly judged = new Set<string>();

  constructor(private readonly custody: KeyCustody) {
    this.refresh();
  }

  /** Learns the current units' keys (call before a unit is replaced, and before judging). */
  refresh(): void {
    for (const node of this.custody.nodes) {
      const key = this.custody.keysOf(node);
      const id = toHex(key.encPublicKey);
      if (this.units.has(id)) continue;
      const generation = this.generations.has(node) ? this.generations.get(node)! + 1 : 0;
      this.generations.set(node, generation);
      this.units.set(id, { node, key, generation });
    }
  }

  /** Judges one frame seen on the wire: an exposure if a unit other than its recipient's current one can open it. */
  frame(bytes: Uint8Array): Exposure | undefined {
    const f = decodeFrame(bytes);
    if (!f.ok || (f.value.cls !== MessageClass.Confidential && f.value.cls !== MessageClass.MeterResponse)) return undefined;
    const m = f.value;
    // 16 bytes of the box's SHA-256 as a one-byte string: a run sees millions of boxes (issue 13)
    const d = createHash('sha256').update(m.sealed).digest().toString('latin1', 0, 16);
    if (this.judged.has(d)) return undefined;
    this.judged.add(d);
    const recipient = m.cls === MessageClass.Confidential ? m.tn : m.hes;
    const currentKey = this.custody.keysOf(recipient);
    if (this.custody.crypto.open(m.sealed, currentKey.encSecretKey, m.header)) return undefined;
    this.refresh();
    const current = toHex(currentKey.encPublicKey);
    for (const [id, unit] of this.units) {
      if (id === current) continue;
      if (!this.custody.crypto.open(m.sealed, unit.key.encSecretKey, m.header)) continue;
      const who = unit.node === recipient ? `${recipient}'s replaced unit (generation ${unit.generation})` : unit.node;
      return {
        goal: m.cls === MessageClass.Confidential ? 'secure_HES_TN' : 'secure_TN_HES',
        recipient,
        detail: `${MessageClass[m.cls]} for ${recipient} is readable by ${who}`,
      };
    }
    return undefined;
  }
}
