import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import {
  COMPUTE_PROFILES,
  TnCpu,
  computeCostMs,
  computeDelay,
  computeModel,
  computeProfile,
  type ComputeModel,
} from '../../nodes/compute-profile';

describe('compute profile', () => {
  it('turns the published nRF52840 cycle counts into ms at 64 and 168 MHz', () => {
    const m4 = COMPUTE_PROFILES['cortex-m4-64mhz'].opMs;
    expect(m4.sign).toBeCloseTo(5.86, 2);
    expect(m4.verify).toBeCloseTo(15.25, 2);
    expect(m4.decrypt).toBeCloseTo(14.16, 2);
    expect(m4.encrypt).toBeCloseTo((327_000 + 906_000) / 64_000, 9);
    expect(COMPUTE_PROFILES['cortex-m4-168mhz'].opMs.verify).toBeCloseTo(976_000 / 168_000, 9);
  });

  it('orders the presets from slow microcontroller to host', () => {
    const verify = (name: keyof typeof COMPUTE_PROFILES) => COMPUTE_PROFILES[name].opMs.verify;
    expect(verify('cortex-m4-48mhz-generic')).toBeGreaterThan(verify('cortex-m4-64mhz'));
    expect(verify('cortex-m4-64mhz')).toBeGreaterThan(verify('cortex-m4-168mhz'));
    expect(verify('cortex-m4-168mhz')).toBeGreaterThan(verify('host'));
    expect(verify('none')).toBe(0);
  });

  it('sums an op list, and plugs into the lean TN as its compute model', () => {
    const profile = COMPUTE_PROFILES['cortex-m4-64mhz'];
    const model: ComputeModel = computeModel(profile);
    expect(model(['decrypt', 'verify'])).toBeCloseTo(profile.opMs.decrypt + profile.opMs.verify, 12);
    expect(computeCostMs(profile, [])).toBe(0);
  });

  it('delays on the node clock', async () => {
    const clock = new VirtualClock();
    let doneAt = -1;
    void computeDelay(clock, COMPUTE_PROFILES['cortex-m4-64mhz'], ['verify']).then(() => (doneAt = clock.now()));
    await clock.run();
    expect(doneAt).toBeCloseTo(976_000 / 64_000, 9);
  });

  it("queues a TN's work on its one CPU, runs nothing that waits on it once stopped, loses it in a power cut", async () => {
    const clock = new VirtualClock();
    const cpu = new TnCpu(clock, (ops) => 10 * ops.length);
    const ran: Array<[string, number]> = [];
    cpu.after(['verify'], () => ran.push(['first', clock.now()]));
    expect(cpu.occupy(['sign', 'sign'])).toBe(30);
    cpu.after(['verify'], () => ran.push(['second', clock.now()]));
    cpu.after([], () => ran.push(['free', clock.now()]));
    await clock.advance(35);
    cpu.stop();
    await clock.advance(100);
    expect(ran).toEqual([
      ['free', 0],
      ['first', 10],
    ]);

    cpu.after([], () => ran.push(['after stop', clock.now()]));
    expect(ran).toHaveLength(2);

    // a power cut loses what the CPU was computing; work after it starts at once
    const restarted = new TnCpu(clock, (ops) => 10 * ops.length);
    const lost: string[] = [];
    restarted.after(['verify', 'verify', 'verify'], () => lost.push('before the cut'));
    restarted.restart();
    restarted.after(['verify'], () => lost.push('after the cut'));
    expect(restarted.occupy(['verify'])).toBe(clock.now() + 20);
    await clock.advance(100);
    expect(lost).toEqual(['after the cut']);
    expect(new TnCpu(clock, undefined).occupy(['verify'])).toBe(clock.now());
  });

  it('takes a preset by name with overrides, and names the bad field otherwise', () => {
    expect(computeProfile('host', { verify: 2 }).opMs).toMatchObject({ verify: 2, sign: 0.243 });
    expect(() => computeProfile('cortex-m0')).toThrow(/unknown preset "cortex-m0"/);
    expect(() => computeProfile('host', { verify: -1 })).toThrow(/verify must be >= 0/);
    expect(() => computeProfile('host', { hash: 1 } as never)).toThrow(/unknown operation "hash"/);
  });
});
