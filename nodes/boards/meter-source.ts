import type { TnBoard } from './board';

/** Register code of active energy import in Wh, as the lean TN's meter reports it (nodes/lean/synthetic-meter.ts). */
export const REGISTER_ENERGY_IMPORT_WH = 1;

/**
 * A board's S0 count as the TN's meter registers: what the TN reports in a meter response. The
 * count starts at zero when the board is made, so the meter's reading at installation is `baseWh`.
 */
export function boardMeterSource(board: TnBoard, baseWh = 0): { registers(): ReadonlyArray<readonly [number, number]> } {
  return { registers: () => [[REGISTER_ENERGY_IMPORT_WH, baseWh + Math.floor(board.readMeter().energyWh)]] };
}
