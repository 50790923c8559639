import { describe, expect, it } from 'vitest';
import { comparisonTable, runMode, type Scenario } from '../../bench/cli/commands/compare';

/** gridbench compare's runner: the same small scenario through both modes' BenchMode. */
describe('side-by-side comparison', () => {
  const scenario: Scenario = { tns: 6, seed: '7', plc: 'g3-plc-cenelec-a', wan: 'dsl', commands: 2 };

  it('runs the scenario in lean and smgw-tls mode and puts the fan-out cost of TLS in numbers', async () => {
    const lean = await runMode('lean', scenario);
    const tls = await runMode('smgw-tls', scenario);
    // TNs enrolled mean the same in both; lean enrols its DC as well, and says so apart
    expect(tls.enrolled).toBe(6);
    expect(lean.enrolled).toBe(6);
    expect(lean.dcsEnrolled).toBe(1);
    expect(tls.dcsEnrolled).toBeUndefined();
    expect(lean.automation.samples).toBe(12);
    expect(tls.automation.samples).toBe(12);
    expect(tls.meterResponses).toBe(6);
    // One broadcast against one TLS record per TN plus its acknowledgement.
    expect(tls.bytesPerCommand).toBeGreaterThan(6 * lean.bytesPerCommand);
    expect(tls.storm).toMatchObject({ tns: 6 });
    expect(tls.storm!.measuredS).toBeGreaterThanOrEqual(tls.storm!.boundS);
    expect(lean.storm).toBeUndefined();
    const table = comparisonTable(lean, tls);
    for (const row of [
      'TNs enrolled',
      'DCs enrolled',
      'automation p50 (ms)',
      'automation p99 (ms)',
      'bytes on segment per command',
      'meter round (s)',
      'storm duration (s)',
      'storm bound N*S*8/R (s)',
    ])
      expect(table).toContain(row);
  });
});
