import { describe, expect, it } from 'vitest';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { COMPUTE_PROFILES, computeModel, computeProfile, type ComputeProfile } from '../../nodes/compute-profile';
import { createMode } from '../../nodes/modes';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { peekClassName } from '../../nodes/protocol/message-class';

/** One DC's segment of four TNs on virtual boards, every TN with the profile's CPU. */
function segment(profile: ComputeProfile) {
  const clock = new VirtualClock();
  const topology = Topology.build(1, 4);
  const recorder = new SampleRecorder();
  const metrics = recorder.metrics(clock);
  const random = new Random('automation');
  const network = createEmulatedNetwork({ topology, clock, random: random.fork('channel'), classify: peekClassName, metrics });
  const boards = new Map(
    topology.tns.map((tn) => [
      tn,
      new VirtualBoard(
        { kind: 'virtual', device: { load: null, bootMs: 50 } },
        { tn, clock, random: random.fork(tn), metrics: metrics.with({ dc: 'dc1' }) },
      ),
    ]),
  );
  const mode = createMode('lean', { topology, network, clock, metrics, random, boards, computeFor: () => computeModel(profile) });
  const close = async () => {
    await mode.close();
    await network.close();
    await Promise.all([...boards.values()].map((b) => b.close()));
  };
  return { clock, topology, recorder, boards, mode, close };
}

describe('automation commands switch virtual boards (lean mode, pass-through channel, VirtualClock)', () => {
  it('records DC-send-to-pin latency and TN processing per relay, as the model predicts', async () => {
    const m4 = COMPUTE_PROFILES['cortex-m4-64mhz'];
    const { clock, topology, recorder, boards, mode, close } = segment(m4);
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
      await close();
    }
  });

  it('a TN closed while its CPU still checks a command switches no relay and sends nothing afterwards', async () => {
    // a CPU slow enough that the command and a meter request wait on it for seconds
    const { clock, topology, recorder, boards, mode, close } = segment(computeProfile('cortex-m4-64mhz', { verify: 5_000 }));
    const [closed, ...others] = topology.tns as [string, ...string[]];
    try {
      expect((await clock.drive(mode.bootstrap())).failed).toEqual([]);
      await clock.advance(1_000);
      mode.automation('dc1', { relay: 'on' });
      const round = mode.meterRound(20_000);
      await clock.advance(1_000);
      const tn = mode.tns.get(closed)!;
      // both were accepted (their counters saved) and wait on the CPU
      expect(tn.lastCounters.dc).toBe(1);
      expect(tn.lastCounters.hes).toBeGreaterThan(0);
      expect(recorder.select('relay_switch', { tn: closed })).toEqual([]);
      await tn.close();
      await clock.advance(30_000);

      expect(boards.get(closed)!.device.relayClosed).toBe(false);
      expect(tn.relayState).toBeUndefined();
      expect(recorder.select('relay_switch', { tn: closed })).toEqual([]);
      expect(recorder.select('automation_latency', { tn: closed })).toEqual([]);
      expect(recorder.select('frame_accepted', { tn: closed, role: 'tn', class: 'automation' })).toEqual([]);
      expect(recorder.select('channel_rejected', { reason: 'closed' }).filter((s) => s.fields.from === closed)).toEqual([]);
      expect((await round).missing).toEqual([closed]);
      // the others' effects came due in the same time
      for (const other of others) expect(boards.get(other)!.device.relayClosed).toBe(true);
    } finally {
      await close();
    }
  });
});
