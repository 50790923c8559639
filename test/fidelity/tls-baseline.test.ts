/**
 * The TLS baseline against real OpenSSL (issue 15): the same certificates and path (G3-PLC
 * CENELEC-A and DSL, no loss), once through smgw-tls mode on the virtual clock, once with
 * `openssl s_server` / `s_client` over kernel TCP through the channel's TCP bridges on the real
 * clock (bench/perf/tls-openssl.ts). Handshake bytes within 2 %, handshake time within 10 %, a
 * storm of 20 TNs within 15 %. perf:tls prints the same figures for more TNs. The TLS bytes counted
 * on the OpenSSL side are checked against tcpdump's capture of the client's connection.
 */
import { describe, expect, it } from 'vitest';
import { median } from '../../core/statistics';
import { baselinePki, benchHandshakes, FIDELITY_PATH, opensslHandshakes, type HandshakeRun } from '../../bench/perf/tls-openssl';
import { captureLoopback, requireTcpdump, type LoopbackCapture } from '../helpers/tcpdump';

const ratio = (bench: number, real: number): number => Math.abs(bench / real - 1);

describe('smgw-tls against real OpenSSL through the TCP bridge', () => {
  for (const chainWithRoot of [false, true])
    it(`one quiet handshake, chains ${chainWithRoot ? 'with' : 'without'} the root: bytes within 2 %, time within 10 %`, async () => {
      const { topology, pki } = baselinePki(1);
      const bench = await benchHandshakes(topology, pki, FIDELITY_PATH, { chainWithRoot });
      // the real clock shares the machine with everything else: the median of three
      const real: HandshakeRun[] = [];
      for (let i = 0; i < 3; i++) real.push(await opensslHandshakes(topology, pki, FIDELITY_PATH, chainWithRoot));
      const realMs = median(real.map((r) => r.durationsMs[0]!));
      expect(ratio(bench.tlsBytes, real[0]!.tlsBytes)).toBeLessThanOrEqual(0.02);
      expect(ratio(bench.durationsMs[0]!, realMs)).toBeLessThanOrEqual(0.1);
    });

  it('a storm of 20 TNs on one segment: first ClientHello to last handshake done within 15 %', async () => {
    const { topology, pki } = baselinePki(20);
    // At the stream's default timers (RFC 6298, 1 s floor): they run from when a segment leaves
    // the node, not while it waits in the node's own transmit queue (core/transport.ts).
    const bench = await benchHandshakes(topology, pki, FIDELITY_PATH, {});
    const real = await opensslHandshakes(topology, pki, FIDELITY_PATH, false);
    expect(real.durationsMs).toHaveLength(20);
    expect(ratio(bench.spanMs, real.spanMs)).toBeLessThanOrEqual(0.15);
  });

  it("counts the real handshake's TLS bytes as tcpdump sees them: the TCP payload of the client's connection, each way", async () => {
    requireTcpdump();
    const { topology, pki } = baselinePki(1);
    let capture: LoopbackCapture | undefined;
    try {
      const real = await opensslHandshakes(topology, pki, FIDELITY_PATH, false, '1', {
        beforeClients: async ([port]) => void (capture = await captureLoopback(port!)),
      });
      const wire = await capture!.stop();
      expect(wire.droppedByKernel).toBe(0);
      expect(wire.bytesTo).toBe(real.tlsBytesUp);
      expect(wire.bytesTo + wire.bytesFrom).toBe(real.tlsBytes);
    } finally {
      await capture?.stop();
    }
  });
});
