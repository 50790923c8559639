/**
 * fresh_authentic_FW, issue 11 item 1: a replacement unit takes no firmware (nor any other
 * operational message) before its enrolment has set its floors. The attacker drops the new unit's
 * enrolment frames on the wire and replays a recorded, genuinely signed rollout of a superseded
 * release to it; the unit refuses it, then enrols and takes only the current release.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leanBench, type LeanBench } from './lean-bench';

const image = (version: number) => new Uint8Array(1_000).map((_, i) => (i * version) & 0xff);

describe('fresh_authentic_FW: a replacement unit before its enrolment', () => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench();
  });
  afterEach(() => b.close());

  async function recordedRollout(version: number) {
    const recording = b.attacker.record({ link: 'plc:dc1', class: ['firmware-manifest', 'firmware-chunk'] });
    const report = await b.clock.drive(b.mode.firmware({ version, image: image(version) }, 60_000));
    expect(report.missing).toEqual([]);
    recording.stop();
    return recording;
  }

  it('refuses a replayed older release while its enrolment is held back, and stays on the current one after', async () => {
    const v2 = await recordedRollout(2);
    const v3 = await recordedRollout(3);
    const holdBack = b.attacker.block({ link: 'plc:dc1', class: 'tn-enrolment', to: 'tn1.001' });
    const replacing = b.mode.replace('tn1.001');
    await b.wait(2_000);
    for (const frame of v2.frames) b.attacker.replay(frame, { from: 'dc1', to: 'tn1.001' });
    await b.wait(2_000);
    expect(b.mode.tns.get('tn1.001')!.firmwareVersion).toBe(0);
    expect(b.rejected('not-enrolled', 'tn')).toBe(v2.frames.length);
    holdBack();
    await b.clock.drive(replacing);
    expect(b.mode.tns.get('tn1.001')!.enrolled).toBe(true);
    for (const frame of v2.frames) b.attacker.replay(frame, { from: 'dc1', to: 'tn1.001' });
    await b.wait(2_000);
    expect(b.mode.tns.get('tn1.001')!.firmwareVersion).toBe(0);
    for (const frame of v3.frames) b.attacker.replay(frame, { from: 'dc1', to: 'tn1.001' });
    await b.wait(2_000);
    expect(b.mode.tns.get('tn1.001')!.firmwareVersion).toBe(3);
    expect(b.oracle.violationsOf('fresh_authentic_FW')).toBe(0);
    expect(b.oracle.totalViolations).toBe(0);
  });
});
