/**
 * smgw-tls availability, issue 11 item 4: one forged 30-byte frame that opens a new connection
 * for a TN must not cut that TN off. The HES keeps the TN's established channel until a new
 * connection authenticates; the forged opens are refused and counted against their attack, and
 * the idle TN's next meter round and a confidential message reach it.
 */
import { describe, expect, it } from 'vitest';
import { encodeTlsFrame } from '../../nodes/smgw-tls/tls-frame';
import { attackerOn, refusals, tlsBench } from './harness';

describe('smgw-tls: forged connection opens', () => {
  it('leave an established channel up; each is refused and attributed', async () => {
    const bench = tlsBench({ tns: 3 });
    try {
      expect((await bench.clock.drive(bench.mode.bootstrap())).enrolled).toBe(3);
      const attacker = attackerOn(bench, 'forged-open:secure_HES_TN');
      const garbage = new Uint8Array(8).fill(0x16);
      for (const conn of [0x7000_0001, 0x7000_0002])
        attacker.inject('dc1', 'hes', encodeTlsFrame({ tn: 'tn1.002', conn, flags: 0, seq: 0, ack: 0, payload: garbage }));
      await bench.clock.advance(5_000);
      const round = await bench.clock.drive(bench.mode.meterRound(60_000));
      expect(round.missing).toEqual([]);
      expect(bench.mode.stats()).toMatchObject({ channelsUp: 3, lostChannels: 0 });
      const attributed = refusals(bench).filter((r) => r.attack === 'forged-open:secure_HES_TN');
      expect(attributed.length).toBe(2);
      expect(attributed.every((r) => r.role === 'hes' && r.tn === 'tn1.002')).toBe(true);
    } finally {
      await bench.close();
    }
  });
});
