import type { MeterSource } from '../mode';
import { REGISTER_ENERGY_IMPORT_WH } from '../meter';
import type { TnBoard } from './board';

/**
 * A board's S0 count as the TN's meter registers: what the TN reports in a meter response. The
 * count starts at zero when the board is made, so the meter's reading at installation is `baseWh`.
 */
export function boardMeterSource(board: TnBoard, baseWh = 0): MeterSource {
  return { registers: () => [[REGISTER_ENERGY_IMPORT_WH, baseWh + Math.floor(board.readMeter().energyWh)]] };
}
