/**
 * Meters a mode's TNs read when they have no board: active energy grows with a household-like load
 * drawn once per TN from the seeded generator (0.2 to 2 kW), so readings differ per TN and repeat
 * per seed. Both modes read the same meters (ModeContext.meterFor), a board's or this one.
 */
import type { Clock } from '../core/clock';
import type { Random } from '../core/random';
import type { MeterRegisters, MeterSource } from './mode';

/** Active energy import, Wh: the register every meter reports. */
export const REGISTER_ENERGY_IMPORT_WH = 1;

export function syntheticMeter(clock: Clock, random: Random): MeterSource {
  const loadW = 200 + random.float() * 1800;
  const baseWh = random.int(10_000_000);
  return new SyntheticMeter(clock, loadW, baseWh, clock.now());
}

/** A class, not a closure: one per TN, a million at national scale (issue 13). */
class SyntheticMeter implements MeterSource {
  constructor(
    private readonly clock: Clock,
    private readonly loadW: number,
    private readonly baseWh: number,
    private readonly origin: number,
  ) {}

  registers(): MeterRegisters {
    return [[REGISTER_ENERGY_IMPORT_WH, this.baseWh + Math.floor((this.loadW * (this.clock.now() - this.origin)) / 3_600_000)]];
  }
}

/** The active energy (Wh) in a meter's registers, if it reports it. */
export function energyImportWh(registers: ReadonlyArray<readonly [number, number]>): number | undefined {
  return registers.find(([code]) => code === REGISTER_ENERGY_IMPORT_WH)?.[1];
}
