/**
 * How a partitioned run cuts the scenario's nodes (issue 13): partition 0 holds the HES, and the
 * DCs are dealt in turn to partitions 1..P, each with its TNs (a PLC segment never spans two
 * partitions: only WAN frames cross). The cut depends on the scenario and P only, never on how
 * many worker threads host the partitions, so the results do not depend on the worker count.
 */
import { availableParallelism } from 'node:os';
import type { Topology } from '../../../core/topology';
import type { NodeId } from '../../../core/transport';

/** The default number of segment partitions at most: a window's barrier costs more with every partition. */
export const MAX_DEFAULT_PARTITIONS = 8;

export interface Partition {
  readonly index: number;
  /** Its nodes as a node selection (node-selection.ts): what its host state is exported for. */
  readonly selection: string;
  readonly nodes: readonly NodeId[];
}

/** Partition 0 (the HES) and P partitions of segments; `requested` is --partitions (default: the DCs, at most 8). */
export function planPartitions(topology: Topology, requested?: number): Partition[] {
  const dcs = topology.dcs.map((d) => d.id);
  const count = requested ?? Math.min(dcs.length, MAX_DEFAULT_PARTITIONS);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--partitions ${count}: expected a whole number of at least 1`);
  if (count > dcs.length)
    throw new Error(
      `--partitions ${count}: more than the scenario's ${dcs.length} DC(s) (topology.dcs); a partition of segments holds at least one DC with its TNs`,
    );
  const dealt: NodeId[][] = Array.from({ length: count }, () => []);
  dcs.forEach((dc, i) => dealt[i % count]!.push(dc));
  return [
    { index: 0, selection: topology.hes, nodes: [topology.hes] },
    ...dealt.map((group, i) => ({
      index: i + 1,
      selection: group.flatMap((dc) => [dc, `tns:${dc}`]).join(','),
      nodes: group.flatMap((dc) => [dc, ...topology.tnsOf(dc)]),
    })),
  ];
}

/** --workers: at least 1, at most one per partition; default: the machine's cores, at most one per partition. */
export function workerCount(partitions: number, requested?: number): number {
  if (requested === undefined) return Math.max(1, Math.min(availableParallelism(), partitions));
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`--workers ${requested}: expected a whole number of at least 1`);
  if (requested > partitions)
    throw new Error(
      `--workers ${requested}: more than the run's ${partitions} partitions (the HES's and --partitions ${partitions - 1}); a worker would be idle`,
    );
  return requested;
}

/**
 * How much of a run's work the HES's partition does, in partitions of segments: it takes every
 * TN's readings and the DCs' traffic (measured: 35 % of the windows' work beside 4 partitions of
 * segments, utility-48h lean; perf:scale --workers).
 */
const HES_WEIGHT = 2;

/**
 * Which partitions each worker hosts: in index order, each to the least loaded worker (the lowest
 * on a tie), the HES's weighing HES_WEIGHT. With 2 workers and 4 partitions of segments the HES's
 * worker hosts one of them, the other three. Results do not depend on it, only the speed.
 */
export function hostPartitions(partitions: readonly Partition[], workers: number): Partition[][] {
  const hosted: Partition[][] = Array.from({ length: workers }, () => []);
  const load = new Array<number>(workers).fill(0);
  for (const p of partitions) {
    const w = load.indexOf(Math.min(...load));
    hosted[w]!.push(p);
    load[w]! += p.index === 0 ? HES_WEIGHT : 1;
  }
  return hosted;
}
