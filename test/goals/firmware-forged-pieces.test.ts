/**
 * fresh_authentic_FW availability, issue 11 item 5: a handful of forged pieces must not stop a
 * rollout. The attacker slips a forged copy of one chunk in front of the genuine one, and a
 * forged copy of a later chunk right after the manifest (ahead of the chunks before it), on
 * dc1's segment. Every piece is checked against the release's signed hash chain: the forged ones
 * are refused and counted against the attack, and every TN installs in the same pass.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeAs } from '../../nodes/protocol/frame';
import { encodeFirmwareChunk } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';
import { leanBench, type LeanBench } from './lean-bench';

const image = (version: number) => new Uint8Array(1_500).map((_, i) => (i * version) & 0xff);

describe('fresh_authentic_FW: forged pieces of a rollout', () => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench();
  });
  afterEach(() => b.close());

  it('refuses each forged piece where it arrives, counts it against the attack, and every TN installs', async () => {
    const forge = (bytes: Uint8Array, index: number) => {
      const genuine = decodeAs(bytes, MessageClass.FirmwareChunk);
      return encodeFirmwareChunk({ ...genuine, index, data: genuine.data.map((x) => x ^ 0x5a) });
    };
    let forged = 0;
    const stop = b.attacker.intercept({ link: 'plc:dc1', class: ['firmware-manifest', 'firmware-chunk'] }, (frame, ctx) => {
      ctx.forward(frame);
      if (frame.className === 'firmware-manifest') return;
      const { index } = decodeAs(frame.bytes, MessageClass.FirmwareChunk);
      // chunk 0 passes, then a forged chunk 5 (ahead of 1..4) and a forged chunk 2 (its turn next)
      if (index === 0)
        for (const target of [5, 2]) {
          ctx.inject({ from: frame.from, to: frame.to, bytes: forge(frame.bytes, target) });
          forged++;
        }
    });
    const report = await b.clock.drive(b.mode.firmware({ version: 2, image: image(2) }, 60_000));
    stop();
    expect(forged).toBe(2);
    expect(report.missing).toEqual([]);
    expect([...b.mode.tns.values()].map((tn) => tn.firmwareVersion)).toEqual([2, 2, 2, 2, 2, 2]);
    const refused = b.recorder.select('frame_rejected', { reason: 'firmware-digest', role: 'tn' });
    expect(refused.length).toBe(2 * 3);
    expect(refused.every((sample) => sample.tags.attack !== undefined)).toBe(true);
    expect(b.oracle.violationsOf('fresh_authentic_FW')).toBe(0);
  });
});
