/**
 * fresh_authentic_FW: a TN installs only manufacturer-signed firmware, never an older or a
 * repeated version. The attacker forges manifests, alters and substitutes chunks, and replays old
 * rollouts on the emulated wire.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signFrame } from '../../nodes/lean/frame-builders';
import { ALL_TNS } from '../../nodes/protocol/frame-fields';
import { encodeFirmwareChunk } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

const image = (version: number, size = 1_000) => new Uint8Array(size).map((_, i) => (i * version) & 0xff);

describe.each(GOAL_BACKENDS)('fresh_authentic_FW (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto });
  });
  afterEach(() => b.close());

  const versions = () => [...b.mode.tns.values()].map((tn) => tn.firmwareVersion);
  const rollout = (version: number, timeoutMs = 60_000) => b.clock.drive(b.mode.firmware({ version, image: image(version) }, timeoutMs));

  async function honestRolloutStillWorks(version: number): Promise<void> {
    const report = await rollout(version);
    expect(report.missing).toEqual([]);
    expect(b.oracle.violationsOf('fresh_authentic_FW')).toBe(0);
  }

  /** An honest rollout, its frames on dc1's segment recorded for replay. */
  async function recordedRollout(version: number) {
    const recording = b.attacker.record({ link: 'plc:dc1', class: ['firmware-manifest', 'firmware-chunk'] });
    await honestRolloutStillWorks(version);
    recording.stop();
    return recording;
  }

  it('refuses firmware signed by anyone but the manufacturer: a rogue root, a compromised DC', async () => {
    const rogue = b.attacker.rogueManufacturer.signFirmware(9, image(9));
    const dcKey = b.attacker.compromise('dc1').sign.secretKey;
    const dcSigned = signFrame(
      {
        cls: MessageClass.FirmwareManifest,
        issuer: 'mfr',
        group: ALL_TNS,
        version: 9,
        size: 1_000,
        chunkSize: 200,
        digest: b.attacker.crypto.sha256(image(9)),
      },
      dcKey,
      b.attacker.crypto,
    );
    for (const frame of [rogue.manifest, ...rogue.chunks]) b.attacker.inject('dc1', SEGMENT_BROADCAST, frame);
    b.attacker.inject('dc2', SEGMENT_BROADCAST, dcSigned.frame);
    for (const frame of rogue.chunks) b.attacker.inject('dc2', SEGMENT_BROADCAST, frame);
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(6);
    expect(versions()).toEqual([0, 0, 0, 0, 0, 0]);
    await honestRolloutStillWorks(2);
  });

  it('installs nothing from an image with an altered chunk, then completes from a clean pass', async () => {
    let altered = 0;
    const stop = b.attacker.intercept({ link: 'plc:dc1', class: 'firmware-chunk' }, (frame, ctx) => {
      if (altered++ > 0) return ctx.forward(frame);
      const bytes = frame.bytes.slice();
      bytes[bytes.length - 1]! ^= 0xff;
      ctx.tamper(frame, bytes);
    });
    const first = await rollout(2, 20_000);
    expect(first.missing).toEqual(['tn1.001', 'tn1.002', 'tn1.003']);
    expect(b.rejected('firmware-digest', 'tn')).toBe(3);
    stop();
    await honestRolloutStillWorks(2);
    expect(versions()).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('installs nothing when genuine manifest and substituted chunks are combined', async () => {
    const manifests = b.attacker.record({ link: 'plc:dc2', class: 'firmware-manifest' });
    const unblock = b.attacker.block({ link: 'plc:dc2', class: 'firmware-chunk' });
    await rollout(2, 5_000);
    unblock();
    b.attacker.replay(manifests.frames[0]!);
    const fake = image(66);
    for (let index = 0; index < 5; index++)
      b.attacker.inject(
        'dc2',
        SEGMENT_BROADCAST,
        encodeFirmwareChunk({ version: 2, index, data: fake.subarray(index * 196, index * 196 + 196), next: new Uint8Array(32) }),
      );
    await b.wait();
    expect(b.rejected('firmware-digest', 'tn')).toBe(3);
    expect(versions()).toEqual([2, 2, 2, 0, 0, 0]);
    expect(b.oracle.violationsOf('fresh_authentic_FW')).toBe(0);
  });

  it('never rolls back or reinstalls: replayed older and equal rollouts are refused', async () => {
    const v2 = await recordedRollout(2);
    const v3 = await recordedRollout(3);
    const installsBefore = b.recorder.select('firmware_install').length;
    for (const frame of [...v2.frames, ...v3.frames]) b.attacker.replay(frame);
    await b.wait();
    expect(b.rejected('firmware-rollback', 'tn')).toBe(2 * 3);
    expect(b.recorder.select('firmware_install').length).toBe(installsBefore);
    expect(versions()).toEqual([3, 3, 3, 3, 3, 3]);
    expect(b.oracle.tally('fresh_authentic_FW')).toEqual({ accepted: 12, violations: 0 });
  });

  it('a replacement unit refuses a release older than the one current when it enrolled, and takes the current one', async () => {
    const v2 = await recordedRollout(2);
    const v3 = await recordedRollout(3);
    await b.clock.drive(b.mode.replace('tn1.001'));
    for (const frame of v2.frames) b.attacker.replay(frame, { from: 'dc1', to: 'tn1.001' });
    await b.wait();
    expect(b.rejected('firmware-rollback', 'tn')).toBe(1);
    expect(b.mode.tns.get('tn1.001')!.firmwareVersion).toBe(0);
    for (const frame of v3.frames) b.attacker.replay(frame, { from: 'dc1', to: 'tn1.001' });
    await b.wait();
    expect(b.mode.tns.get('tn1.001')!.firmwareVersion).toBe(3);
    expect(b.oracle.violationsOf('fresh_authentic_FW')).toBe(0);
  });
});
