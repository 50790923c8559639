/**
 * secure_HES_TN / secure_TN_HES, issue 11 item 2: once the operator puts a replacement unit on
 * the HES's allow-list, nothing keyed to the old unit is used or accepted, even while the attacker
 * holds back the new unit's registration. The attacker holds the old unit's keys (a removed unit
 * is out of the operator's hands).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signThenSeal } from '../../nodes/lean/frame-builders';
import { decodeAs } from '../../nodes/protocol/frame';
import { meterReadingBody, sealedHeader } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';
import { leanBench, type LeanBench } from './lean-bench';

const secret = (text: string) => new TextEncoder().encode(text);

describe('a replaced unit’s keys, while the new unit’s registration is held back', () => {
  let b: LeanBench;
  afterEach(() => b.close());

  it('seals nothing to the old TN unit and accepts no response under its key; the message waits for the new unit', async () => {
    b = await leanBench();
    const old = b.attacker.compromise('tn1.001');
    const confidential = b.attacker.record({ class: 'confidential' });
    const requests = b.attacker.record({ link: 'plc:dc1', class: 'meter-request' });
    const holdBack = b.attacker.block({ link: 'wan:dc1', direction: 'up', class: 'tn-key' });
    const replacing = b.mode.replace('tn1.001');
    await b.wait(2_000);

    b.mode.confidential('tn1.001', secret('tariff change at 22:00'));
    const round = b.mode.meterRound(20_000);
    await b.wait(2_000);
    for (const frame of confidential.frames) {
      const m = decodeAs(frame.bytes, MessageClass.Confidential);
      expect(b.attacker.crypto.open(m.sealed, old.enc.secretKey, m.header)).toBeUndefined();
    }
    expect(confidential.frames).toEqual([]);

    const request = decodeAs(requests.frames.at(-1)!.bytes, MessageClass.MeterRequest);
    const forged = signThenSeal(
      sealedHeader({ cls: MessageClass.MeterResponse, tn: 'tn1.001', hes: 'hes' }),
      meterReadingBody({ counter: request.counter, registers: [[1, 0]] }),
      old.sign.secretKey,
      b.mode.keysOf('hes').enc.publicKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', 'hes', forged.frame);
    await b.wait();
    expect(b.rejected('unknown-sender', 'hes')).toBe(1);
    await b.clock.drive(round);

    holdBack();
    await b.clock.drive(replacing);
    await b.wait(2_000);
    expect(b.mode.tns.get('tn1.001')!.inboxMessages.map((m) => new TextDecoder().decode(m))).toEqual(['tariff change at 22:00']);
    expect(b.oracle.violationsOf('secure_TN_HES')).toBe(0);
    expect(b.oracle.totalViolations).toBe(0);
  });

  it('acknowledges no TN under the old DC unit’s certificate while the new unit’s request is held back', async () => {
    b = await leanBench({ bootstrap: false });
    const keys = b.attacker.record({ link: 'wan:dc1', direction: 'up', class: 'tn-key', from: 'dc1' });
    await b.clock.drive(b.mode.bootstrap());
    const acks = b.attacker.record({ link: 'wan:dc1', class: 'tn-ack' });
    const holdBack = b.attacker.block({ link: 'wan:dc1', direction: 'up', class: 'dc-csr' });
    const replacing = b.mode.replace('dc1');
    await b.wait(2_000);
    b.attacker.replay(keys.frames[0]!);
    await b.wait();
    expect(acks.frames).toEqual([]);
    expect(b.rejected('not-enrolled', 'hes')).toBe(1);

    holdBack();
    await b.clock.drive(replacing);
    expect(acks.frames.length).toBe(3); // the TNs of dc1 re-enrol under the new unit's certificate
    expect([...b.mode.tns.values()].every((tn) => tn.enrolled)).toBe(true);
    expect(b.oracle.totalViolations).toBe(0);
  });
});
