import { BoardError, type BoardDeps, type TnBoard } from './board';
import { EmulatedBoard, type EmulatedBoardSpec } from './emulated-board';
import { NoBoard } from './no-board';
import { SerialBoard, type SerialBoardSpec } from './serial-board';
import { VirtualBoard, type VirtualBoardSpec } from './virtual-board';

export type BoardSpec = { readonly kind: 'none' } | SerialBoardSpec | EmulatedBoardSpec | VirtualBoardSpec;

/**
 * The board of one TN, from the scenario's spec and the node's clock, seeded stream and metrics.
 * Throws a BoardError naming the TN, port and pin for a spec that is wrong on its face (unknown
 * kind, a pin used twice, a pin an Uno lacks for a virtual or emulated board, an emulated board
 * without its firmware or off the real clock); everything that can go wrong
 * later is reported through status() and the `board` measurement instead.
 */
export function createBoard(spec: BoardSpec, deps: BoardDeps): TnBoard {
  switch (spec.kind) {
    case 'none':
      return new NoBoard(deps.tn, deps.clock);
    case 'virtual':
      return new VirtualBoard(spec, deps);
    case 'real':
      return new SerialBoard(spec, deps);
    case 'emulated':
      return new EmulatedBoard(spec, deps);
    default:
      throw new BoardError(
        'BAD_SPEC',
        deps.tn,
        'none',
        `unknown board kind "${String((spec as { kind?: unknown }).kind)}" (real, emulated, virtual or none)`,
      );
  }
}
