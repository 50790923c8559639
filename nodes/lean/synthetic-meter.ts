/**
 * A meter for TNs without a board: active energy grows with a household-like load drawn once per
 * TN from the seeded generator (0.2 to 2 kW), so readings differ per TN and repeat per seed.
 */
import type { Clock } from '../../core/clock';
import type { Random } from '../../core/random';
import type { MeterSource } from './tn';

export const REGISTER_ENERGY_IMPORT_WH = 1;

export function syntheticMeter(clock: Clock, random: Random): MeterSource {
  const loadW = 200 + random.float() * 1800;
  const baseWh = random.int(10_000_000);
  const origin = clock.now();
  return {
    registers: () => [[REGISTER_ENERGY_IMPORT_WH, baseWh + Math.floor((loadW * (clock.now() - origin)) / 3_600_000)]],
  };
}
