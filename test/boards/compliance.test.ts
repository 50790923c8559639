import { afterEach, describe, expect, it } from 'vitest';
import { RealClock, VirtualClock, type Clock } from '../../core/clock';
import { Random } from '../../core/random';
import {
  checkNames,
  formatChecks,
  runBoardCompliance,
  BOARD_CHECKS,
  RESET_CHECK,
  type ComplianceTarget,
} from '../../nodes/boards/compliance';
import { SerialBoard } from '../../nodes/boards/serial-board';
import { VirtualBoard, virtualDeviceOptions } from '../../nodes/boards/virtual-board';
import { VirtualFirmataDevice } from '../../nodes/boards/virtual/firmata-device';
import { exposeOnPty, type PtyLink } from '../../nodes/boards/virtual/pty-link';
import { resolveWiring } from '../../nodes/boards/wiring';

// A brisk load (3.6 kW at 1000 imp/kWh: a pulse a second) so the S0 check sees pulses quickly.
const LOAD = { meanW: 3_600, dailySwing: 0, noise: 0 };

function inMemory(clock: Clock): ComplianceTarget & { shorts(): number } {
  let board: VirtualBoard | undefined;
  return {
    clock,
    open: (metrics) =>
      (board = new VirtualBoard(
        { kind: 'virtual', device: { load: LOAD, bootMs: 200 } },
        { tn: 'tn1.001', clock, random: new Random('compliance'), metrics },
      )),
    expectPulseWithinMs: 3_000,
    reset: () => board!.device.reset(),
    shorts: () => board!.device.shorts,
  };
}

const links: PtyLink[] = [];
const devices: VirtualFirmataDevice[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  devices.splice(0).forEach((d) => d.close());
});

function expectAllPass(results: Awaited<ReturnType<typeof runBoardCompliance>>, names: readonly string[] = BOARD_CHECKS): void {
  expect(results.map((r) => r.name)).toEqual(names);
  expect(
    results.filter((r) => !r.ok),
    formatChecks(results),
  ).toEqual([]);
}

describe('board compliance suite', () => {
  it('passes on a virtual board over the in-memory stream on a VirtualClock, reset included, without a short on the feedback line', async () => {
    const target = inMemory(new VirtualClock());
    expect(checkNames(target)).toEqual([...BOARD_CHECKS.slice(0, -1), RESET_CHECK, BOARD_CHECKS.at(-1)]);
    expectAllPass(await runBoardCompliance(target), checkNames(target));
    expect(target.shorts()).toBe(0);
  });

  it('passes on a virtual board over the in-memory stream on a RealClock', async () => {
    const target = inMemory(new RealClock());
    expectAllPass(await runBoardCompliance(target), checkNames(target));
    expect(target.shorts()).toBe(0);
  });

  it('passes on a real-kind board opening a virtual board on a pty (johnny-five on a serial path)', async () => {
    const clock = new RealClock();
    const wiring = resolveWiring(undefined, { tn: 'tn1.002', port: 'pty' });
    const device = new VirtualFirmataDevice(
      virtualDeviceOptions('pty:tn1.002', wiring, { load: LOAD, bootMs: 200 }, { clock, random: new Random('pty') }),
    );
    devices.push(device);
    const link = await exposeOnPty(device, clock);
    links.push(link);
    const target: ComplianceTarget = {
      clock,
      open: (metrics) => new SerialBoard({ kind: 'real', port: link.path }, { tn: 'tn1.002', clock, random: new Random('pty'), metrics }),
      expectPulseWithinMs: 3_000,
      reset: () => device.reset(),
    };
    expectAllPass(await runBoardCompliance(target), checkNames(target));
    expect(device.shorts).toBe(0);
  });

  it('fails the checks, naming what it saw, when the feedback wire is missing', async () => {
    const clock = new VirtualClock();
    const results = await runBoardCompliance({
      clock,
      open: (metrics) => {
        const board = new VirtualBoard(
          { kind: 'virtual', device: { load: null, bootMs: 50 } },
          { tn: 'tn1.003', clock, random: new Random(3), metrics },
        );
        board.device.feedbackWireCut = true;
        return board;
      },
      feedbackTimeoutMs: 500,
    });
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['attaches and reports its status']?.ok).toBe(true);
    expect(byName['closes the relay and sees it switch']?.ok).toBe(false);
    expect(byName['closes the relay and sees it switch']?.detail).toMatch(/feedback/);
    expect(byName['closes cleanly']?.ok).toBe(true);
  });
});
