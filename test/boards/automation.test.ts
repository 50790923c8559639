import { describe, expect, it } from 'vitest';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../channel/topology';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { COMPUTE_PROFILES, computeModel } from '../../nodes/compute-profile';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { LeanMode } from '../../nodes/lean/lean-mode';
import { VirtualClock } from '../../nodes/runtime/clock';
import { SampleRecorder } from '../../nodes/runtime/metrics';
import { Random } from '../../nodes/runtime/random';
import { MemoryNodeStore } from '../../nodes/store/node-store';

describe('automation commands switch virtual boards (lean mode, pass-through channel, VirtualClock)', () => {
  it('records DC-send-to-pin latency and TN processing per relay, as the model predicts', async () => {
    const clock = new VirtualClock();
    const topology = Topology.build(1, 4);
    const recorder = new SampleRecorder();
    const metrics = recorder.metrics(clock);
    const random = new Random('automation');
    const network = createEmulatedNetwork({ topology, clock, random: random.fork('channel'), metrics });
    const boards = new Map(
      topology.tns.map((tn) => [
        tn,
        new VirtualBoard({ kind: 'virtual', device: { load: null, bootMs: 50 } }, { tn, clock, random: random.fork(tn), metrics: metrics.with({ dc: 'dc1' }) }),
      ]),
    );
    const m4 = COMPUTE_PROFILES['cortex-m4-64mhz'];
    const crypto = CRYPTO_BACKENDS.node;
    const mode = new LeanMode({
      topology,
      network,
      clock,
      crypto: { hes: crypto, dc: crypto, tn: crypto },
      metrics,
      random,
      storeFor: () => new MemoryNodeStore(),
      relayFor: (tn) => boards.get(tn),
      computeFor: () => computeModel(m4),
    });
    try {
      expect((await clock.drive(mode.bootstrap())).failed).toEqual([]);
      await clock.advance(1_000);
      const { issuedAt } = mode.automation('dc1', { relay: 'on' });
      await clock.advance(1_000);

      const samples = recorder.select('relay_switch', { dc: 'dc1' });
      expect(samples.map((s) => s.tags.tn).sort()).toEqual(topology.tns);
      const byteMs = 10_000 / 57_600;
      for (const s of samples) {
        // The TN's own processing is the signature check on a 64 MHz Cortex-M4.
        expect(s.fields.processing_ms).toBeCloseTo(m4.opMs.verify, 9);
        // DC send -> verify -> relay write (3 bytes) -> 10 ms operate time -> feedback report (3 bytes).
        expect(s.fields.latency_ms).toBeCloseTo(m4.opMs.verify + 6 * byteMs + 10, 6);
        expect(s.fields.state).toBe(true);
      }
      for (const board of boards.values()) expect(board.device.relayClosed).toBe(true);
      expect(issuedAt).toBeLessThan(clock.now());

      mode.automation('dc1', { relay: 'off' });
      await clock.advance(1_000);
      expect(recorder.select('relay_switch', { dc: 'dc1' }).filter((s) => s.fields.state === false)).toHaveLength(4);
    } finally {
      await mode.close();
      await network.close();
      await Promise.all([...boards.values()].map((b) => b.close()));
    }
  });
});
