import { beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../core/clock';
import { Random } from '../../core/random';
import { checkNames, formatChecks, runBoardCompliance, RESET_CHECK, type ComplianceTarget } from '../../nodes/boards/compliance';
import { EmulatedBoard } from '../../nodes/boards/emulated-board';
import { fetchStandardFirmata } from '../../nodes/boards/emulated/firmware';

// 3.6 kW at 1000 imp/kWh: an S0 pulse a second.
const LOAD = { meanW: 3_600, dailySwing: 0, noise: 0 };

beforeAll(async () => {
  await fetchStandardFirmata();
}, 180_000);

describe('emulated board: StandardFirmata on an emulated ATmega328P, on a pty, through johnny-five', () => {
  it('passes the board compliance suite, a reset of the chip with the port open included, without a short on the feedback line', async () => {
    const clock = new RealClock();
    let board: EmulatedBoard | undefined;
    let firmware: ReturnType<EmulatedBoard['firmware']>;
    const target: ComplianceTarget = {
      clock,
      open: (metrics) => {
        board = new EmulatedBoard(
          { kind: 'emulated', device: { load: LOAD } },
          { tn: 'tn1.001', clock, random: new Random('emulated'), metrics },
        );
        board.onStatus((c) => c.status === 'attached' && (firmware = board!.firmware()));
        return board;
      },
      attachTimeoutMs: 15_000,
      expectPulseWithinMs: 3_000,
      // A brown-out: the chip restarts without the bootloader's wait (the attach itself went through it).
      reset: () => board!.uno.reset('power'),
    };
    const results = await runBoardCompliance(target);
    expect(results.map((r) => r.name)).toEqual(checkNames(target));
    expect(results.map((r) => r.name)).toContain(RESET_CHECK);
    expect(
      results.filter((r) => !r.ok),
      formatChecks(results),
    ).toEqual([]);
    expect(board!.uno.shorts).toBe(0);
    expect(board!.uno.stats().resets).toBe(2);
    // What the running firmware says it is.
    expect(firmware).toEqual({ name: 'StandardFirmata.ino', major: 2, minor: 4 });
  }, 60_000);
});
