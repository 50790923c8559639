import type { NodeId } from './transport';

/**
 * Who is wired to whom (docs/DESIGN.md section 1): one HES, DCs on WAN links to it, and one PLC
 * segment per DC shared by that DC and its TNs. Frames only travel between neighbours.
 */
export type Role = 'hes' | 'dc' | 'tn';

export interface DcSpec {
  readonly id: NodeId;
  readonly tns: readonly NodeId[];
}

export interface TopologySpec {
  readonly hes: NodeId;
  readonly dcs: readonly DcSpec[];
}

/** A link of the emulated medium: the WAN link of one DC, or the PLC segment of one DC. */
export interface LinkId {
  readonly kind: 'wan' | 'plc';
  /** The DC whose WAN link or PLC segment this is. */
  readonly dc: NodeId;
}

export const linkName = (link: LinkId): string => `${link.kind}:${link.dc}`;

/** Direction on a link: up is towards the HES (TN to DC, DC to HES), down away from it. */
export type Direction = 'up' | 'down';

export class Topology {
  readonly hes: NodeId;
  readonly dcs: readonly DcSpec[];
  private readonly roles = new Map<NodeId, Role>();
  private readonly dcOfTn = new Map<NodeId, NodeId>();
  private readonly tnsOfDc = new Map<NodeId, readonly NodeId[]>();

  constructor(spec: TopologySpec) {
    this.hes = spec.hes;
    this.dcs = spec.dcs;
    this.addNode(spec.hes, 'hes');
    for (const dc of spec.dcs) {
      this.addNode(dc.id, 'dc');
      this.tnsOfDc.set(dc.id, dc.tns);
      for (const tn of dc.tns) {
        this.addNode(tn, 'tn');
        this.dcOfTn.set(tn, dc.id);
      }
    }
  }

  /** The usual naming: hes, dc1..dcN, tn1.001.. (TN ids are short because frames carry them). */
  static build(dcCount: number, tnsPerDc: number): Topology {
    const width = Math.max(3, String(tnsPerDc).length);
    const dcs: DcSpec[] = [];
    for (let d = 1; d <= dcCount; d++) {
      const tns: NodeId[] = [];
      for (let t = 1; t <= tnsPerDc; t++) tns.push(`tn${d}.${String(t).padStart(width, '0')}`);
      dcs.push({ id: `dc${d}`, tns });
    }
    return new Topology({ hes: 'hes', dcs });
  }

  get nodes(): NodeId[] {
    return [...this.roles.keys()];
  }

  get tns(): NodeId[] {
    return [...this.dcOfTn.keys()];
  }

  roleOf(node: NodeId): Role | undefined {
    return this.roles.get(node);
  }

  has(node: NodeId): boolean {
    return this.roles.has(node);
  }

  dcOf(tn: NodeId): NodeId | undefined {
    return this.dcOfTn.get(tn);
  }

  tnsOf(dc: NodeId): readonly NodeId[] {
    return this.tnsOfDc.get(dc) ?? [];
  }

  /** The link a frame from `from` to neighbour `to` travels on, with its direction. */
  linkBetween(from: NodeId, to: NodeId): { link: LinkId; direction: Direction } | undefined {
    const fromRole = this.roles.get(from);
    const toRole = this.roles.get(to);
    if (fromRole === 'dc' && toRole === 'hes') return { link: { kind: 'wan', dc: from }, direction: 'up' };
    if (fromRole === 'hes' && toRole === 'dc') return { link: { kind: 'wan', dc: to }, direction: 'down' };
    if (fromRole === 'tn' && toRole === 'dc' && this.dcOfTn.get(from) === to) return { link: { kind: 'plc', dc: to }, direction: 'up' };
    if (fromRole === 'dc' && toRole === 'tn' && this.dcOfTn.get(to) === from) return { link: { kind: 'plc', dc: from }, direction: 'down' };
    return undefined;
  }

  neighbours(node: NodeId): NodeId[] {
    switch (this.roles.get(node)) {
      case 'hes':
        return this.dcs.map((dc) => dc.id);
      case 'dc':
        return [this.hes, ...this.tnsOf(node)];
      case 'tn': {
        const dc = this.dcOfTn.get(node);
        return dc ? [dc] : [];
      }
      default:
        return [];
    }
  }

  private addNode(id: NodeId, role: Role): void {
    if (!id || id.length > 32 || !/^[A-Za-z0-9._-]+$/.test(id))
      throw new Error(`topology: node id "${id}" must be 1 to 32 characters of letters, digits, '.', '_' or '-'`);
    if (this.roles.has(id)) throw new Error(`topology: node id "${id}" is used twice`);
    this.roles.set(id, role);
  }
}
