/**
 * Where the units' stores live in a state directory (a distributed bench's, or a restartable
 * bench's): `<node>` for the unit installed first, then `<node>~1`, `<node>~2` for its
 * replacements, each a FileNodeStore.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeId } from '../../core/transport';
import { FileNodeStore, MemoryNodeStore, type NodeStore } from './node-store';

export const unitStoreName = (node: NodeId, generation: number): string => (generation ? `${node}~${generation}` : node);

/** Whether a directory entry is one of the node's unit stores. */
export const isUnitStoreOf = (node: NodeId, entry: string): boolean => entry === node || entry.startsWith(`${node}~`);

export function stateStoreFor(stateDir: string): (node: NodeId, generation: number) => NodeStore {
  return (node, generation) => new FileNodeStore(join(stateDir, unitStoreName(node, generation)));
}

/**
 * A unit's store read once from the state directory and then kept in memory, written nowhere: for
 * a run whose state is not resumed (a partition of a partitioned run, on the virtual clock). A
 * FileNodeStore reads a file on every get and fsyncs on every put: on a partition of 1,000 TNs
 * that was most of its time (open and fsync, 17 of 27 CPU seconds of a 20-minute run).
 */
export function stateStoreInMemory(stateDir: string): (node: NodeId, generation: number) => NodeStore {
  return (node, generation) => {
    const memory = new MemoryNodeStore();
    const dir = join(stateDir, unitStoreName(node, generation));
    if (!existsSync(dir)) return memory;
    const file = new FileNodeStore(dir);
    for (const record of file.list('')) memory.put(record, file.get(record)!);
    return memory;
  };
}
