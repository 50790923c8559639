/**
 * Where the units' stores live in a state directory (a distributed bench's, or a restartable
 * bench's): `<node>` for the unit installed first, then `<node>~1`, `<node>~2` for its
 * replacements, each a FileNodeStore.
 */
import { join } from 'node:path';
import type { NodeId } from '../../core/transport';
import { FileNodeStore, type NodeStore } from './node-store';

export const unitStoreName = (node: NodeId, generation: number): string => (generation ? `${node}~${generation}` : node);

/** Whether a directory entry is one of the node's unit stores. */
export const isUnitStoreOf = (node: NodeId, entry: string): boolean => entry === node || entry.startsWith(`${node}~`);

export function stateStoreFor(stateDir: string): (node: NodeId, generation: number) => NodeStore {
  return (node, generation) => new FileNodeStore(join(stateDir, unitStoreName(node, generation)));
}
