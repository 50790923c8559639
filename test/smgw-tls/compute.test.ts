import { describe, expect, it } from 'vitest';
import { computeCostMs, computeModel, computeProfile } from '../../nodes/compute-profile';
import { FULL_HANDSHAKE_OPS } from '../../nodes/smgw-tls/tn-channel';
import { tlsBench, type PlcPreset } from './harness';

/**
 * A TN's CPU in smgw-tls mode: under a microcontroller's compute profile, each full handshake
 * takes longer by the TN's public-key work (2 verify, 1 encrypt, 1 sign), on the virtual clock.
 */
const CORTEX_M = 'cortex-m4-48mhz-generic';

function bench(preset: string | undefined, tns: number, plc: PlcPreset) {
  return tlsBench({ tns, plc, setup: preset ? { computeFor: () => computeModel(computeProfile(preset)) } : {} });
}

async function handshakeDurations(preset: string | undefined) {
  const b = bench(preset, 1, 'pass-through');
  await b.clock.drive(b.mode.bootstrap());
  const resumed = await b.clock.drive(b.mode.measureResumedHandshake('tn1.001'));
  const durations = {
    full: b.recorder.select('handshake', { kind: 'full' }).map((s) => s.fields.duration_ms as number),
    resumed: resumed!.finishedAt - resumed!.startedAt,
  };
  await b.close();
  return durations;
}

describe('smgw-tls TN compute time', () => {
  it('lengthens each full handshake by the modelled public-key work, and a resumed one not at all', async () => {
    const cost = computeCostMs(computeProfile(CORTEX_M), FULL_HANDSHAKE_OPS);
    expect(cost).toBeGreaterThan(1_000); // 2 x 298 + 461 + 164 ms on a 48 MHz Cortex-M4
    const host = await handshakeDurations(undefined);
    const mcu = await handshakeDurations(CORTEX_M);
    // Bootstrap and the ticket-issuing handshake of the resumption measurement: two full ones.
    expect(mcu.full).toHaveLength(2);
    // Within 1%: while the TN computes, its stack acknowledges the HES's flight in a frame of its
    // own (otherwise the acknowledgement rides on the TN's answer), which draws its own WAN jitter.
    for (let i = 0; i < 2; i++) expect(Math.abs(mcu.full[i]! - host.full[i]! - cost)).toBeLessThan(cost / 100);
    expect(Math.abs(mcu.resumed - host.resumed)).toBeLessThan(cost / 100);
  });

  it("makes a renegotiation storm on G3-PLC last longer, by at least part of one handshake's work", async () => {
    const cost = computeCostMs(computeProfile(CORTEX_M), FULL_HANDSHAKE_OPS);
    const storms: number[] = [];
    for (const preset of [undefined, CORTEX_M]) {
      const b = bench(preset, 3, 'g3-plc-cenelec-a');
      await b.clock.drive(b.mode.bootstrap());
      const storm = await b.clock.drive(b.mode.renegotiateAll('dc1', 'age'));
      expect(storm).toMatchObject({ tns: 3, handshakes: 3, failed: 0 });
      storms.push(storm!.durationS * 1_000);
      await b.close();
    }
    // The TNs' CPUs work in parallel while the segment serializes their frames: the storm grows by
    // about one handshake's work, not by three.
    expect(storms[1]! - storms[0]!).toBeGreaterThan(cost / 2);
    expect(storms[1]! - storms[0]!).toBeLessThan(3 * cost);
  });

  it("delays a firmware install by the one signature check on the TN's CPU", async () => {
    const verify = computeProfile(CORTEX_M).opMs.verify;
    const installs: number[] = [];
    for (const preset of [undefined, CORTEX_M]) {
      const b = bench(preset, 1, 'pass-through');
      await b.clock.drive(b.mode.bootstrap());
      const report = await b.clock.drive(b.mode.firmware({ version: 2, image: new Uint8Array(2_048).fill(1) }, 60_000));
      expect(report.installed).toBe(1);
      installs.push(b.recorder.select('firmware_install')[0]!.fields.duration_ms as number);
      await b.close();
    }
    expect(Math.abs(installs[1]! - installs[0]! - verify)).toBeLessThan(verify / 100);
  });
});
