/**
 * secure_TN_HES: a TN's meter response is readable only by the HES, authentic, and accepted only
 * once. The DC relays responses without being able to read or forge them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signThenSeal } from '../../nodes/lean/frame-builders';
import { decodeAs } from '../../nodes/protocol/frame';
import { meterReadingBody, sealedHeader } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

describe.each(GOAL_BACKENDS)('secure_TN_HES (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto });
  });
  afterEach(() => b.close());

  const acceptedResponses = () => b.recorder.select('frame_accepted', { role: 'hes', class: 'meter-response' }).length;
  const requestCounter = (bytes: Uint8Array) => decodeAs(bytes, MessageClass.MeterRequest).counter;

  async function honestRoundStillWorks(): Promise<void> {
    const round = await b.clock.drive(b.mode.meterRound(30_000));
    expect(round.responses).toBe(6);
    expect(b.oracle.violationsOf('secure_TN_HES')).toBe(0);
  }

  it("keeps responses unreadable on the wire, even with a compromised DC's and another TN's keys", async () => {
    const recording = b.attacker.record({ class: 'meter-response' });
    await honestRoundStillWorks();
    expect(recording.frames.length).toBe(12); // six responses, each seen on the PLC and on the WAN
    const stolen = [b.attacker.compromise('dc1'), b.attacker.compromise('tn1.002'), b.attacker.keys];
    for (const frame of recording.frames) {
      const response = decodeAs(frame.bytes, MessageClass.MeterResponse);
      for (const keys of stolen) expect(b.attacker.crypto.open(response.sealed, keys.enc.secretKey, response.header)).toBeUndefined();
    }
    for (const [tn, reading] of b.mode.hes.readings) {
      const value = Buffer.alloc(8);
      value.writeBigUInt64BE(BigInt(reading.registers[0]![1]));
      const leaks = recording.frames.filter((f) => f.from === tn && Buffer.from(f.bytes).includes(value));
      expect(leaks).toEqual([]);
    }
  });

  it('accepts a response once: a replay in the same round and in a later round is refused', async () => {
    const recording = b.attacker.record({ link: 'wan:dc1', class: 'meter-response', from: 'dc1' });
    const holdBack = b.attacker.block({ link: 'plc:dc2', class: 'meter-response', from: 'tn2.003' });
    const round = b.mode.meterRound(20_000);
    await b.wait(5_000);
    const first = recording.frames[0]!;
    b.attacker.replay(first);
    await b.wait();
    expect(b.rejected('duplicate-response', 'hes')).toBe(1);
    holdBack();
    await b.clock.drive(round);
    b.attacker.replay(first);
    await b.wait();
    expect(b.rejected('no-outstanding-request', 'hes')).toBe(1);
    expect(acceptedResponses()).toBe(5);
    await honestRoundStillWorks();
    b.attacker.replay(first);
    await b.wait();
    expect(b.rejected('no-outstanding-request', 'hes')).toBe(2);
  });

  it('refuses a response whose clear header was rewritten to another TN', async () => {
    const stop = b.attacker.intercept({ link: 'wan:dc1', class: 'meter-response', from: 'dc1' }, (frame, ctx) => {
      const bytes = frame.bytes.slice();
      // header: [ver][cls][7 "tn1.00X"][3 "hes"]; swap tn1.001 <-> tn1.002 in the sender id
      if (bytes[9] === 0x31) bytes[9] = 0x32;
      else if (bytes[9] === 0x32) bytes[9] = 0x31;
      else return ctx.forward(frame);
      ctx.tamper(frame, bytes);
    });
    const round = await b.clock.drive(b.mode.meterRound(10_000));
    expect([...round.missing].sort()).toEqual(['tn1.001', 'tn1.002']);
    expect(b.rejected('decrypt-failed', 'hes')).toBe(2);
    stop();
    await honestRoundStillWorks();
  });

  it("refuses a response forged for another TN with a compromised TN's keys", async () => {
    const requests = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
    const silenceVictim = b.attacker.block({ link: 'plc:dc1', class: 'meter-response', from: 'tn1.001' });
    const round = b.mode.meterRound(20_000);
    await b.wait();
    const counter = requestCounter(requests.frames[0]!.bytes);
    const thief = b.attacker.compromise('tn1.002');
    const hesKey = b.mode.hes.certificate.encKey;
    // (1) content signed by tn1.002 under a header naming tn1.001
    const forged = signThenSeal(
      sealedHeader({ cls: MessageClass.MeterResponse, tn: 'tn1.001', hes: 'hes' }),
      meterReadingBody({ counter, registers: [[1, 1]] }),
      thief.sign.secretKey,
      hesKey,
      b.attacker.crypto,
    );
    // (2) tn1.002's own genuinely signed content re-encrypted under a header naming tn1.001
    const ownHeader = sealedHeader({ cls: MessageClass.MeterResponse, tn: 'tn1.002', hes: 'hes' });
    const body = meterReadingBody({ counter, registers: [[1, 2]] });
    const signedAsItself = b.attacker.crypto.sign(Uint8Array.of(...ownHeader, ...body), thief.sign.secretKey);
    const victimHeader = sealedHeader({ cls: MessageClass.MeterResponse, tn: 'tn1.001', hes: 'hes' });
    const rewrapped = Uint8Array.of(
      ...victimHeader,
      ...b.attacker.crypto.seal(Uint8Array.of(...body, ...signedAsItself), hesKey, victimHeader),
    );
    b.attacker.inject('dc1', 'hes', forged.frame);
    b.attacker.inject('dc1', 'hes', rewrapped);
    const report = await b.clock.drive(round);
    expect(b.rejected('bad-signature', 'hes')).toBe(2);
    expect(report.missing).toEqual(['tn1.001']);
    silenceVictim();
    await honestRoundStillWorks();
  });

  it('refuses a response whose ciphertext a compromised DC altered', async () => {
    const stop = b.attacker.intercept({ link: 'wan:dc1', class: 'meter-response', from: 'dc1' }, (frame, ctx) => {
      const bytes = frame.bytes.slice();
      bytes[bytes.length - 20]! ^= 0x80;
      ctx.tamper(frame, bytes);
    });
    const round = await b.clock.drive(b.mode.meterRound(10_000));
    expect(round.responses).toBe(3);
    expect(b.rejected('decrypt-failed', 'hes')).toBe(3);
    stop();
    await honestRoundStillWorks();
  });
});
