import { describe, expect, it } from 'vitest';
import { createPki } from '../../nodes/smgw-tls/pki';
import { encodeTlsFrame } from '../../nodes/smgw-tls/tls-frame';
import { tlsBench } from './harness';

/**
 * The TLS channel's authentication, attacked on the emulated wire: TNs holding a certificate from
 * a foreign CA, an expired one, or another TN's, and a HES impostor. Each is refused and counted,
 * and the honest TNs of the segment carry on.
 */
const refusedSamples = (bench: ReturnType<typeof tlsBench>, reason: string) =>
  bench.recorder.select('frame_rejected', { role: 'hes', class: 'tls-record', reason });

describe('smgw-tls channel security', () => {
  it.each(['P-256', 'brainpoolP256r1'] as const)(
    'negotiates TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256 and mutual authentication on %s',
    async (curve) => {
      const bench = tlsBench({ tns: 2, plc: 'pass-through', mode: { curve } });
      const report = await bench.clock.drive(bench.mode.bootstrap());
      expect(report).toMatchObject({ enrolled: 2, failed: [] });
      await bench.clock.drive(bench.mode.tn('tn1.001').whenUp());
      expect(bench.mode.tn('tn1.001').channelInfo()).toEqual({
        protocol: 'TLSv1.2',
        cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
        curve: curve === 'P-256' ? 'prime256v1' : 'brainpoolP256r1',
        resumed: false,
      });
      expect(bench.mode.stats().refused).toEqual({});
      await bench.close();
    },
  );

  it('refuses and counts a TN whose certificate comes from a foreign CA; the others enrol', async () => {
    const foreign = createPki({ hes: 'hes', tns: ['tn1.002'], organization: 'rogue PKI' });
    const bench = tlsBench({ tns: 3, mode: { credentialOf: (tn, pki) => (tn === 'tn1.002' ? foreign.tn(tn) : pki.tn(tn)) } });
    const report = await bench.clock.drive(bench.mode.bootstrap());
    expect(report.enrolled).toBe(2);
    expect(report.failed).toEqual(['tn1.002']);
    expect(bench.mode.hes.isAccepted('tn1.002')).toBe(false);
    expect(bench.mode.stats().refused['untrusted-certificate']).toBeGreaterThanOrEqual(1);
    expect(refusedSamples(bench, 'untrusted-certificate')[0]?.tags.tn).toBe('tn1.002');
    // The refused TN keeps retrying with backoff; every retry is refused and counted again.
    const before = bench.mode.stats().refused['untrusted-certificate']!;
    await bench.clock.advance(600_000);
    expect(bench.mode.stats().refused['untrusted-certificate']).toBeGreaterThan(before);
    expect(bench.mode.hes.isAccepted('tn1.002')).toBe(false);
    // Nothing meant for it reached it, and the rest of the segment works.
    const round = await bench.clock.drive(bench.mode.meterRound(120_000));
    expect(round.missing).toEqual(['tn1.002']);
    expect(round.responses).toBe(2);
    await bench.close();
  });

  it('refuses and counts a TN whose certificate has expired', async () => {
    // issuing takes the root's key: only a PKI made in memory (here, the test's) holds it
    const pki = createPki({ hes: 'hes', tns: ['tn1.001', 'tn1.002'] });
    const bench = tlsBench({
      tns: 2,
      plc: 'pass-through',
      mode: {
        pki,
        credentialOf: (tn) =>
          tn === 'tn1.001' ? pki.issue(tn, { notBefore: new Date('2020-01-01Z'), notAfter: new Date('2021-01-01Z') }) : pki.tn(tn),
      },
    });
    const report = await bench.clock.drive(bench.mode.bootstrap());
    expect(report.failed).toEqual(['tn1.001']);
    expect(bench.mode.stats().refused['certificate-expired']).toBeGreaterThanOrEqual(1);
    expect(refusedSamples(bench, 'certificate-expired')[0]?.tags.tn).toBe('tn1.001');
    await bench.close();
  });

  it("refuses and counts a TN presenting another TN's valid certificate (wrong identity for its address)", async () => {
    const bench = tlsBench({ tns: 3, plc: 'pass-through', mode: { credentialOf: (tn, pki) => pki.tn(tn === 'tn1.002' ? 'tn1.003' : tn) } });
    const report = await bench.clock.drive(bench.mode.bootstrap());
    expect(report.failed).toEqual(['tn1.002']);
    expect(bench.mode.stats().refused['wrong-identity']).toBeGreaterThanOrEqual(1);
    // The TN whose certificate was borrowed is unaffected.
    expect(bench.mode.hes.isAccepted('tn1.003')).toBe(true);
    await bench.close();
  });

  it('a TN refuses and counts a HES whose certificate is not from its PKI', async () => {
    const impostor = createPki({ hes: 'hes', tns: [], organization: 'impostor' });
    const bench = tlsBench({ tns: 2, plc: 'pass-through', mode: { hesCredential: impostor.hes }, setup: { bootstrapTimeoutMs: 60_000 } });
    const report = await bench.clock.drive(bench.mode.bootstrap());
    expect(report.enrolled).toBe(0);
    expect(bench.recorder.select('handshake', { kind: 'full' })).toHaveLength(0);
    expect(bench.recorder.select('handshake', { kind: 'failed' }).length).toBeGreaterThanOrEqual(2);
    expect(bench.recorder.select('frame_rejected', { role: 'tn', reason: 'untrusted-certificate' }).length).toBeGreaterThanOrEqual(2);
    await bench.close();
  });

  it('the DC routes only frames whose TN address matches the sender, and counts forged ones', async () => {
    const bench = tlsBench({ tns: 2, plc: 'pass-through' });
    await bench.clock.drive(bench.mode.bootstrap());
    const forged = encodeTlsFrame({ tn: 'tn1.002', conn: 1, flags: 0, seq: 0, ack: 0, payload: Uint8Array.of(22, 3, 3) });
    bench.network.control.inject({ from: 'tn1.001', to: 'dc1', bytes: forged });
    bench.network.control.inject({ from: 'tn1.001', to: 'dc1', bytes: Uint8Array.of(1, 0x20, 0xff) });
    bench.network.control.inject({
      from: 'hes',
      to: 'dc1',
      bytes: encodeTlsFrame({ tn: 'tn9.999', conn: 1, flags: 0, seq: 0, ack: 0, payload: new Uint8Array(0) }),
    });
    await bench.clock.advance(1_000);
    const dcRejects = bench.recorder.select('frame_rejected', { role: 'dc' }).map((s) => s.tags.reason);
    expect(dcRejects.sort()).toEqual(['bad-field', 'wrong-recipient', 'wrong-sender']);
    expect(bench.mode.stats().channelsUp).toBe(2);
    await bench.close();
  });

  it('garbage TLS bytes on a channel end that channel only; the TN reconnects', async () => {
    const bench = tlsBench({ tns: 2, plc: 'pass-through' });
    await bench.clock.drive(bench.mode.bootstrap());
    const handshakesBefore = bench.mode.stats().handshakes;
    // An attacker on the segment who guessed the connection: inject junk into tn1.001's stream at the HES.
    const conn = (
      bench.mode.hes as unknown as { tns: Map<string, { channel?: { conn: number; connection: { stream: { receivedOffset: number } } } }> }
    ).tns.get('tn1.001')!.channel!;
    const junk = encodeTlsFrame({
      tn: 'tn1.001',
      conn: conn.conn,
      flags: 0,
      seq: conn.connection.stream.receivedOffset,
      ack: 0,
      payload: new Uint8Array(64).fill(0x17),
    });
    bench.network.control.inject({ from: 'dc1', to: 'hes', bytes: junk });
    await bench.clock.advance(120_000);
    expect(bench.recorder.select('frame_rejected', { role: 'hes', reason: 'decrypt-failed', tn: 'tn1.001' })).toHaveLength(1);
    expect(bench.mode.stats().lostChannels).toBe(1);
    expect(bench.mode.stats().handshakes).toBeGreaterThan(handshakesBefore);
    expect(bench.mode.stats().channelsUp).toBe(2);
    await bench.close();
  });
});
