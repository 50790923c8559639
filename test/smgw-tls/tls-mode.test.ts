import { describe, expect, it } from 'vitest';
import { TlsConfigError } from '../../nodes/smgw-tls/errors';
import { X509Certificate } from 'node:crypto';
import { decodeTlsFrame } from '../../nodes/smgw-tls/tls-frame';
import { segmentBytes, tlsBench } from './harness';

/** The lean workload carried over TLS, through BenchMode, on the emulated G3-PLC segment. */
describe('smgw-tls mode workload', () => {
  it('reads every meter over its own channel', async () => {
    const bench = tlsBench({ tns: 5 });
    expect(await bench.clock.drive(bench.mode.bootstrap())).toMatchObject({ enrolled: 5, failed: [] });
    const round = await bench.clock.drive(bench.mode.meterRound(120_000));
    expect(round).toMatchObject({ round: 1, responses: 5, missing: [] });
    expect(bench.recorder.select('meter_round', { mode: 'smgw-tls' })[0]?.fields).toMatchObject({ counter: 1, responses: 5, missing: 0 });
    await bench.close();
  });

  it('issues an automation command at the HES once per TN and measures issue-to-acceptance at each TN, with the lean tags', async () => {
    const bench = tlsBench({ tns: 4 });
    await bench.clock.drive(bench.mode.bootstrap());
    await bench.clock.advance(30_000);
    const before = segmentBytes(bench);
    const report = bench.mode.automation('dc1', { relay: 'off' });
    await bench.clock.advance(30_000);
    expect(report.addressed).toBe(4);
    // One TLS record per TN down, one transport acknowledgement up: predicted exactly.
    expect(segmentBytes(bench) - before).toBe(report.segmentBytes);
    const samples = bench.recorder.select('automation_latency', { mode: 'smgw-tls', segment: 'dc1', dc: 'dc1' });
    expect(samples.map((s) => s.tags.tn).sort()).toEqual(['tn1.001', 'tn1.002', 'tn1.003', 'tn1.004']);
    for (const s of samples) {
      expect(s.fields.counter).toBe(1);
      expect(s.fields.latency_ms as number).toBeGreaterThan(0);
      expect(s.time - (s.fields.latency_ms as number)).toBeCloseTo(report.issuedAt, 6);
    }
    // The fan-out is serial on the shared medium: each TN waits for the ones before it.
    const latencies = samples.map((s) => s.fields.latency_ms as number).sort((a, b) => a - b);
    expect(latencies[3]! - latencies[0]!).toBeGreaterThan(0);
    await bench.close();
  });

  it('delivers a confidential message to its TN only', async () => {
    const bench = tlsBench({ tns: 3, plc: 'pass-through' });
    await bench.clock.drive(bench.mode.bootstrap());
    bench.mode.confidential('tn1.002', new TextEncoder().encode('prepaid balance 12.50 EUR'));
    await bench.clock.advance(5_000);
    expect(bench.recorder.select('frame_accepted', { class: 'confidential' }).map((s) => s.tags.tn)).toEqual(['tn1.002']);
    expect(() => bench.mode.confidential('tn9.999', new Uint8Array(1))).toThrow(TlsConfigError);
    await bench.close();
  });

  it('rolls firmware out once per TN, manufacturer-signed, and refuses a repeated version', async () => {
    const bench = tlsBench({ tns: 3 });
    await bench.clock.drive(bench.mode.bootstrap());
    const image = new Uint8Array(8 * 1024).map((_, i) => i & 0xff);
    const report = await bench.clock.drive(bench.mode.firmware({ version: 2, image }, 600_000));
    expect(report).toMatchObject({ version: 2, installed: 3, missing: [] });
    expect(bench.recorder.select('firmware_install', { mode: 'smgw-tls' })).toHaveLength(3);
    const again = await bench.clock.drive(bench.mode.firmware({ version: 2, image }, 60_000));
    expect(again.installed).toBe(0);
    expect(bench.recorder.select('frame_rejected', { role: 'tn', reason: 'firmware-rollback' })).toHaveLength(3);
    await bench.close();
  });

  it('measures one resumed handshake, far smaller than a full one, while policy renegotiations stay full', async () => {
    const bench = tlsBench({ tns: 2, plc: 'pass-through' });
    await bench.clock.drive(bench.mode.bootstrap());
    const full = bench.mode.handshakes()[0]!;
    const resumed = await bench.clock.drive(bench.mode.measureResumedHandshake('tn1.001'));
    expect(resumed).toMatchObject({ tn: 'tn1.001', ok: true, full: false });
    // about 1,000 bytes against 1,650 (chains without the root): no certificate, no key exchange
    expect(resumed!.bytesUp + resumed!.bytesDown).toBeLessThan((full.bytesUp + full.bytesDown) * 0.65);
    expect(bench.recorder.select('handshake', { kind: 'resumed' })).toHaveLength(1);
    const storm = await bench.clock.drive(bench.mode.renegotiateAll('dc1', 'age'));
    expect(storm?.handshakes).toBe(2);
    expect(
      bench.mode
        .handshakes()
        .filter((h) => h.reason === 'age')
        .every((h) => h.full),
    ).toBe(true);
    await bench.close();
  });

  it('names the option when the configuration is wrong', () => {
    expect(() => tlsBench({ mode: { maxFrameBytes: 40 } })).toThrow(/maxFrameBytes/);
    expect(() => tlsBench({ mode: { lifetime: { maxAgeMs: -1 } } })).toThrow(/lifetime.maxAgeMs/);
    expect(() => tlsBench({ mode: { lifetime: { reconnect: 'sometimes' as never } } })).toThrow(/lifetime.reconnect/);
  });
});

describe('smgw-tls mode with boards', () => {
  it('switches a TN relay on an accepted automation command, with issue and receive times', async () => {
    const switched: Array<{ tn: string; on: boolean; sentAt: number; receivedAt: number }> = [];
    const bench = tlsBench({
      tns: 2,
      plc: 'pass-through',
      setup: { relayFor: (tn) => ({ switchRelay: (on, timing) => switched.push({ tn, on, ...timing }) }) },
    });
    await bench.clock.drive(bench.mode.bootstrap());
    const report = bench.mode.automation('dc1', { relay: 'on' });
    await bench.clock.advance(5_000);
    expect(switched.map((s) => [s.tn, s.on]).sort()).toEqual([
      ['tn1.001', true],
      ['tn1.002', true],
    ]);
    for (const s of switched) {
      expect(s.sentAt).toBe(report.issuedAt);
      expect(s.receivedAt).toBeGreaterThan(s.sentAt);
    }
    await bench.close();
  });

  it('sends chains without the self-signed root by default; chainWithRoot puts it in both Certificate messages', async () => {
    const wire = async (chainWithRoot: boolean) => {
      const bench = tlsBench({ tns: 1, mode: { chainWithRoot } });
      const payloads: Buffer[] = [];
      bench.network.control.tap((e) => {
        const frame = decodeTlsFrame(e.bytes);
        if (e.kind === 'plc' && frame.ok) payloads.push(Buffer.from(frame.value.payload));
      });
      await bench.clock.drive(bench.mode.bootstrap());
      const hs = bench.mode.handshakes()[0]!;
      const root = Buffer.from(new X509Certificate(bench.mode.pki.rootPem).raw);
      const stream = Buffer.concat(payloads);
      const roots = [stream.indexOf(root), stream.lastIndexOf(root)].filter((at) => at >= 0);
      await bench.close();
      return { ok: hs.ok, bytes: hs.bytesUp + hs.bytesDown, roots: new Set(roots).size, rootBytes: root.length };
    };
    const without = await wire(false);
    const withRoot = await wire(true);
    expect(without).toMatchObject({ ok: true, roots: 0 });
    expect(withRoot).toMatchObject({ ok: true, roots: 2 }); // the HES's Certificate and the TN's
    expect(withRoot.bytes - without.bytes).toBeGreaterThanOrEqual(2 * withRoot.rootBytes);
  });
});
