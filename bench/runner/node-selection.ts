/**
 * Which nodes one process runs: `hes`, a DC id (`dc1`), all TNs of a DC (`tns:dc1`), or TN ids,
 * comma-separated. Errors name the selection that does not match the topology.
 */
import type { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';

export function selectNodes(selection: string, topology: Topology): NodeId[] {
  const nodes = new Set<NodeId>();
  for (const part of selection
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part.startsWith('tns:')) {
      const dc = part.slice(4);
      if (topology.roleOf(dc) !== 'dc') throw new Error(`--nodes ${selection}: "${dc}" is not a DC of the scenario's topology`);
      for (const tn of topology.tnsOf(dc)) nodes.add(tn);
    } else if (topology.has(part)) {
      nodes.add(part);
    } else {
      throw new Error(`--nodes ${selection}: "${part}" is not a node of the scenario's topology (hes, dc1.., tns:dc1, tn1.001..)`);
    }
  }
  if (nodes.size === 0) throw new Error(`--nodes ${selection}: selects no node`);
  return [...nodes];
}

/**
 * The first two selections that share a node, and that node; undefined when each node is in one
 * selection at most (hosts of one lab: a node in two of them would run, and be replaced, twice).
 * Throws as selectNodes does on a selection that matches no node.
 */
export function overlappingSelections(
  selections: readonly string[],
  topology: Topology,
): { readonly first: string; readonly second: string; readonly node: NodeId } | undefined {
  const owner = new Map<NodeId, string>();
  for (const selection of selections)
    for (const node of selectNodes(selection, topology)) {
      const first = owner.get(node);
      if (first !== undefined) return { first, second: selection, node };
      owner.set(node, selection);
    }
  return undefined;
}

/** The processes of a distributed bench: the HES, each DC, and one TN host per DC. */
export function processLayout(topology: Topology): string[] {
  return [topology.hes, ...topology.dcs.map((d) => d.id), ...topology.dcs.map((d) => `tns:${d.id}`)];
}

/** A selection as a directory name (tns:dc1 → tns-dc1): a host's results and its state. */
export const hostDirName = (selection: string): string => selection.replace(/[:,]/g, '-');
