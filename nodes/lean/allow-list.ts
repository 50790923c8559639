/**
 * The HES's list of expected nodes, provisioned out of band (docs/DESIGN.md 2.1): which DCs and TNs may
 * register, the DC each TN belongs to, and the fingerprint of the keys each was produced with, so
 * that knowing a valid node id is not enough to register as that node.
 */
import { toHex } from '../../core/bytes';
import type { NodeId } from '../../core/transport';

export interface AllowListEntry {
  readonly role: 'dc' | 'tn';
  /** For a TN: the DC it registers through. */
  readonly dc?: NodeId | undefined;
  /** Hex SHA-256 of signKey || encKey. */
  readonly fingerprint: string;
}

export class AllowList {
  private readonly entries = new Map<NodeId, AllowListEntry>();

  expect(id: NodeId, entry: AllowListEntry): this {
    this.entries.set(id, entry);
    return this;
  }

  /** The role an id is provisioned for, if any. */
  roleOf(id: NodeId): 'dc' | 'tn' | undefined {
    return this.entries.get(id)?.role;
  }

  /** What was provisioned, to hand to a HES in another process (plain JSON). */
  toJSON(): Record<NodeId, AllowListEntry> {
    return Object.fromEntries(this.entries);
  }

  static fromJSON(entries: Record<NodeId, AllowListEntry>): AllowList {
    const list = new AllowList();
    for (const [id, entry] of Object.entries(entries)) list.expect(id, entry);
    return list;
  }

  /** Why a registration is refused, or undefined when it matches what was provisioned. */
  check(id: NodeId, role: 'dc' | 'tn', fingerprint: Uint8Array, dc?: NodeId): string | undefined {
    const entry = this.entries.get(id);
    if (!entry) return `${id} is not on the allow-list`;
    if (entry.role !== role) return `${id} is provisioned as a ${entry.role}, not a ${role}`;
    if (role === 'tn' && entry.dc !== dc) return `${id} is provisioned under ${entry.dc}, not ${dc}`;
    if (entry.fingerprint !== toHex(fingerprint)) return `${id} registered with keys other than the provisioned ones`;
    return undefined;
  }
}
