/** The scenario's boards of the TNs a process runs, on the node clock. */
import type { Topology } from '../../core/topology';
import type { TnBoard } from '../../nodes/boards/board';
import { createBoard } from '../../nodes/boards/create-board';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { NodeId } from '../../core/transport';
import type { Scenario } from '../scenario/schema';

export function createBoards(
  scenario: Scenario,
  topology: Topology,
  clock: Clock,
  random: Random,
  metrics: Metrics,
  local: (tn: NodeId) => boolean = () => true,
) {
  const boards = new Map<NodeId, TnBoard>();
  for (const spec of scenario.boards) {
    if (!local(spec.tn)) continue;
    const dc = topology.dcOf(spec.tn)!;
    const deps = {
      tn: spec.tn,
      clock,
      random: random.fork(`board/${spec.tn}`),
      metrics: metrics.with({ tn: spec.tn, dc, segment: dc, board: spec.kind }),
    };
    const { tn: _tn, ...boardSpec } = spec;
    boards.set(spec.tn, createBoard(boardSpec, deps));
  }
  return boards;
}
