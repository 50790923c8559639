/**
 * secure_HES_TN: a confidential message is readable only by its TN, authentic, and accepted only
 * once. Signed content names the recipient, so a TN that could read a message cannot pass it off
 * to another TN by re-encrypting it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signThenSeal } from '../../nodes/lean/frame-builders';
import { decodeAs } from '../../nodes/protocol/frame';
import { confidentialBody, sealedHeader } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';
import { GOAL_BACKENDS, leanBench, type LeanBench } from './lean-bench';

const secret = (text: string) => new TextEncoder().encode(text);

describe.each(GOAL_BACKENDS)('secure_HES_TN (%s crypto)', (crypto) => {
  let b: LeanBench;
  beforeEach(async () => {
    b = await leanBench({ crypto });
  });
  afterEach(() => b.close());

  const inbox = (tn: string) => b.mode.tns.get(tn)!.inboxMessages.map((m) => new TextDecoder().decode(m));
  const asConfidential = (bytes: Uint8Array) => decodeAs(bytes, MessageClass.Confidential);

  async function honestMessageStillWorks(): Promise<void> {
    b.mode.confidential('tn1.001', secret('tariff change at 22:00'));
    await b.wait();
    expect(inbox('tn1.001').at(-1)).toBe('tariff change at 22:00');
    expect(b.oracle.violationsOf('secure_HES_TN')).toBe(0);
  }

  it("keeps a confidential message unreadable on the wire, even with a compromised DC's and another TN's keys", async () => {
    const recording = b.attacker.record({ class: 'confidential' });
    b.mode.confidential('tn1.001', secret('prepaid balance 12.50 EUR'));
    await b.wait();
    expect(inbox('tn1.001')).toEqual(['prepaid balance 12.50 EUR']);
    expect(recording.frames.length).toBe(2); // WAN to the DC, PLC to the TN
    for (const keys of [b.attacker.compromise('dc1'), b.attacker.compromise('tn1.002'), b.attacker.keys]) {
      for (const frame of recording.frames) {
        const m = asConfidential(frame.bytes);
        expect(b.attacker.crypto.open(m.sealed, keys.enc.secretKey, m.header)).toBeUndefined();
      }
    }
    for (const frame of recording.frames) expect(Buffer.from(frame.bytes).includes(Buffer.from('prepaid'))).toBe(false);
  });

  it('accepts a message once: replays to the same TN are refused', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'confidential' });
    b.mode.confidential('tn1.001', secret('one'));
    await b.wait();
    b.attacker.replay(recording.frames[0]!);
    b.attacker.replay(recording.frames[0]!);
    await b.wait();
    expect(b.rejected('stale-counter', 'tn')).toBe(2);
    expect(inbox('tn1.001')).toEqual(['one']);
    await honestMessageStillWorks();
  });

  it('refuses a message replayed to another TN, as is or with its header rewritten', async () => {
    const recording = b.attacker.record({ link: 'wan:dc1', class: 'confidential' });
    b.mode.confidential('tn1.001', secret('for tn1.001 only'));
    await b.wait();
    const original = recording.frames[0]!.bytes;
    b.attacker.inject('dc1', 'tn1.002', original);
    const rewritten = original.slice();
    rewritten[2 + 4 + 7] = 0x32; // header [ver][cls][3 "hes"][7 "tn1.001"]: last char 1 -> 2
    b.attacker.inject('hes', 'dc1', rewritten); // the DC routes it to tn1.002 by its header
    await b.wait();
    expect(b.rejected('wrong-recipient', 'tn')).toBe(1);
    expect(b.rejected('decrypt-failed', 'tn')).toBe(1);
    expect(inbox('tn1.002')).toEqual([]);
    await honestMessageStillWorks();
  });

  it('refuses HES-signed content that a compromised TN re-encrypts for another TN', async () => {
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'confidential' });
    b.mode.confidential('tn1.001', secret('switch tariff'));
    await b.wait();
    const thief = b.attacker.compromise('tn1.001');
    const stolen = asConfidential(recording.frames[0]!.bytes);
    const plaintext = b.attacker.crypto.open(stolen.sealed, thief.enc.secretKey, stolen.header)!; // body || HES signature
    expect(plaintext).toBeDefined();
    const header = sealedHeader({ cls: MessageClass.Confidential, hes: 'hes', tn: 'tn1.002' });
    const victimKey = b.mode.keysOf('tn1.002').enc.publicKey; // public: the HES knows it, so may the attacker
    const reencrypted = Uint8Array.of(...header, ...b.attacker.crypto.seal(plaintext, victimKey, header));
    b.attacker.inject('dc1', 'tn1.002', reencrypted);
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(1);
    expect(inbox('tn1.002')).toEqual([]);
    await honestMessageStillWorks();
  });

  it("refuses messages forged with a compromised DC's key, and altered ciphertext", async () => {
    const dc = b.attacker.compromise('dc1');
    const victimKey = b.mode.keysOf('tn1.003').enc.publicKey;
    const forged = signThenSeal(
      sealedHeader({ cls: MessageClass.Confidential, hes: 'hes', tn: 'tn1.003' }),
      confidentialBody({ counter: 10_000, payload: secret('disconnect') }),
      dc.sign.secretKey,
      victimKey,
      b.attacker.crypto,
    );
    b.attacker.inject('dc1', 'tn1.003', forged.frame);
    const stop = b.attacker.intercept({ link: 'plc:dc1', class: 'confidential' }, (frame, ctx) => {
      const bytes = frame.bytes.slice();
      bytes[bytes.length - 1]! ^= 1;
      ctx.tamper(frame, bytes);
    });
    b.mode.confidential('tn1.003', secret('genuine, but altered in flight'));
    await b.wait();
    expect(b.rejected('bad-signature', 'tn')).toBe(1);
    expect(b.rejected('decrypt-failed', 'tn')).toBe(1);
    expect(inbox('tn1.003')).toEqual([]);
    stop();
    await honestMessageStillWorks();
  });
});
