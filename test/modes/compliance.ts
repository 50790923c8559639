/**
 * The mode contract (nodes/mode.ts) as tests, in the style of js-libp2p's interface-compliance-tests:
 * modeCompliance(subject) registers the suite for one mode, built through the registry
 * (nodes/modes.ts) on the emulated wire and a virtual clock. Every mode runs the same tests, so
 * a word in a report means the same in both: what `enrolled` counts, where meter readings come
 * from, when a firmware rollout resolves, who accepts a confidential message, what a power
 * restoration and a replacement do, what stats() counts, what close() leaves behind, and that
 * a man in the middle who alters frames gets refused and counted.
 *
 * The bench: 2 DCs with 3 TNs each on pass-through links (the wire takes no time, so an
 * operation's report can be checked to the millisecond), a virtual board on tn1.001, a goal
 * oracle, every sample recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Attacker } from '../../bench/attack/attacker';
import { createEmulatedNetwork, type EmulatedNetwork } from '../../channel/emulated-network';
import { VirtualClock, type Clock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { energyImportWh, syntheticMeter } from '../../nodes/meter';
import type { BenchMode } from '../../nodes/mode';
import { createMode, type ModeName, type ModeOf, type ModeSetup, type OptionsOf } from '../../nodes/modes';
import { GoalOracle, topologyMembership } from '../../nodes/oracle/goal-oracle';
import { peekClassName } from '../../nodes/protocol/message-class';
import { MemoryNodeStore, type NodeStore } from '../../nodes/store/node-store';

const SEED = 'compliance';
const BOARD_TN = 'tn1.001';
const MINUTE = 60_000;

export interface ComplianceBench<N extends ModeName> {
  readonly clock: VirtualClock;
  readonly topology: Topology;
  readonly network: EmulatedNetwork;
  readonly recorder: SampleRecorder;
  readonly oracle: GoalOracle;
  readonly board: VirtualBoard;
  readonly mode: ModeOf<N>;
  /** What the mode was built from: a second instance (another process's share) is built from it too. */
  readonly setup: ModeSetup<OptionsOf<N>>;
  close(): Promise<void>;
}

/** What the suite needs to know of a mode beyond the contract. */
export interface ModeUnderTest<N extends ModeName> {
  readonly name: N;
  /** The mode's own options for the bench (shorter timers). */
  readonly options?: OptionsOf<N>;
  /** Whether the mode's DCs hold a credential and enrol (BootstrapReport.dcsEnrolled). */
  readonly enrolsDcs: boolean;
  /** What the HES knows a TN's current unit by: its keys, its certificate. */
  credentialOf(mode: ModeOf<N>, tn: NodeId): unknown;
  /**
   * The old unit of a replaced TN back on the wire where the new one was (the new unit unplugged):
   * an instance of the mode running that TN only, with the old unit's credential and what it
   * saved. Resolves with it, started.
   */
  oldUnitBack(bench: ComplianceBench<N>, tn: NodeId, credential: unknown): Promise<BenchMode>;
}

/** The store of every unit the bench made, by node and generation: an old unit's is kept when a new one comes. */
function unitStores(): (node: NodeId, generation: number) => NodeStore {
  const stores = new Map<string, NodeStore>();
  return (node, generation) => {
    const key = `${node}~${generation}`;
    let store = stores.get(key);
    if (!store) stores.set(key, (store = new MemoryNodeStore()));
    return store;
  };
}

async function complianceBench<N extends ModeName>(subject: ModeUnderTest<N>): Promise<ComplianceBench<N>> {
  const clock = new VirtualClock();
  const topology = Topology.build(2, 3);
  const random = new Random(SEED);
  const recorder = new SampleRecorder();
  const metrics = recorder.metrics(clock, { run: 'compliance' });
  const network = createEmulatedNetwork({ topology, clock, random: random.fork('channel'), metrics, classify: peekClassName });
  const board = new VirtualBoard(
    { kind: 'virtual', device: { bootMs: 50 } },
    { tn: BOARD_TN, clock, random: random.fork('board'), metrics },
  );
  const oracle = new GoalOracle(topologyMembership(topology));
  const setup: ModeSetup<OptionsOf<N>> = {
    topology,
    clock,
    network,
    random,
    metrics,
    boards: new Map([[BOARD_TN, board]]),
    crypto: { hes: CRYPTO_BACKENDS.node, dc: CRYPTO_BACKENDS.node, tn: CRYPTO_BACKENDS.node },
    observer: oracle,
    storeFor: unitStores(),
    ...(subject.options ? { options: subject.options } : {}),
  };
  const mode = createMode(subject.name, setup);
  await clock.drive(board.ready());
  let closed = false;
  return {
    clock,
    topology,
    network,
    recorder,
    oracle,
    board,
    mode,
    setup,
    async close() {
      if (closed) return;
      closed = true;
      await mode.close();
      await network.close();
      await board.close();
    },
  };
}

const frameRejections = (recorder: SampleRecorder, tags: Record<string, string> = {}) => recorder.select('frame_rejected', tags).length;

export function modeCompliance<N extends ModeName>(subject: ModeUnderTest<N>): void {
  describe(`${subject.name}: the mode contract`, () => {
    let bench: ComplianceBench<N> | undefined;
    const start = async (options: { enrol?: boolean } = {}): Promise<ComplianceBench<N>> => {
      bench = await complianceBench(subject);
      if (options.enrol !== false) await bench.clock.drive(bench.mode.bootstrap());
      return bench;
    };
    afterEach(async () => {
      if (bench) expect(bench.oracle.violations).toEqual([]);
      await bench?.close();
      bench = undefined;
    });

    it('enrols every TN: `enrolled` counts TNs, DCs are counted apart where the mode enrols them', async () => {
      const { clock, mode, topology } = await start({ enrol: false });
      const report = await clock.drive(mode.bootstrap());
      expect(report.enrolled).toBe(topology.tns.length);
      expect(report.dcsEnrolled).toBe(subject.enrolsDcs ? topology.dcs.length : undefined);
      expect(report.failed).toEqual([]);
      expect(mode.stats().channelsUp).toBe(topology.tns.length);
    });

    it("reads each TN's meter: the board's where it has one, otherwise a synthetic one from the run's seed", async () => {
      const { clock, mode, topology, board } = await start();
      // the synthetic meters the TNs were built with (at time 0), from the same seed and stream labels
      let readAt = 0;
      const meterClock = { now: () => readAt } as Clock;
      const synthetic = new Map(topology.tns.map((tn) => [tn, syntheticMeter(meterClock, new Random(SEED).fork(`meter/${tn}`))]));
      const syntheticAt = (tn: NodeId, t: number) => {
        readAt = t;
        return energyImportWh(synthetic.get(tn)!.registers())!;
      };
      await clock.advance(10 * MINUTE);
      const at = clock.now();
      const boardBefore = Math.floor(board.readMeter().energyWh);
      const round = await clock.drive(mode.meterRound(MINUTE));
      const boardAfter = Math.floor(board.readMeter().energyWh);
      expect(round.missing).toEqual([]);
      expect(round.responses).toBe(topology.tns.length);
      expect([...round.readings.keys()].sort()).toEqual(topology.tns);
      const energy = (tn: NodeId) => energyImportWh(round.readings.get(tn)!);
      expect(boardBefore).toBeGreaterThan(0);
      expect(energy(BOARD_TN)).toBeGreaterThanOrEqual(boardBefore);
      expect(energy(BOARD_TN)).toBeLessThanOrEqual(boardAfter);
      for (const tn of topology.tns.filter((t) => t !== BOARD_TN)) {
        // a synthetic meter grows with the clock from its base: the TN read it during the round
        expect(energy(tn)).toBeGreaterThanOrEqual(syntheticAt(tn, at));
        expect(energy(tn)).toBeLessThanOrEqual(syntheticAt(tn, clock.now()));
      }
    });

    it('takes an automation command at every TN of its segment, once each, and at no other', async () => {
      const { clock, mode, topology, recorder, board } = await start();
      const issuer = mode.automationIssuer('dc1');
      expect(['dc1', topology.hes]).toContain(issuer);
      const report = mode.automation('dc1', { relay: 'on' });
      await clock.advance(MINUTE);
      expect(report.addressed).toBe(3);
      const accepted = recorder.select('automation_latency').map((s) => s.tags.tn);
      expect(accepted.sort()).toEqual(topology.tnsOf('dc1'));
      for (const s of recorder.select('automation_latency'))
        expect(s.time - (s.fields.latency_ms as number)).toBeCloseTo(report.issuedAt, 6);
      expect(board.device.relayClosed).toBe(true);
    });

    it('delivers a confidential message to exactly its TN', async () => {
      const { clock, mode, recorder } = await start();
      mode.confidential('tn2.002', new TextEncoder().encode('prepaid balance 12.50 EUR'));
      await clock.advance(MINUTE);
      expect(recorder.select('frame_accepted', { class: 'confidential' }).map((s) => s.tags.tn)).toEqual(['tn2.002']);
    });

    it('resolves a firmware rollout at its last install, as it happens (not on a polling tick)', async () => {
      const { clock, mode, topology, recorder } = await start();
      const startedAt = clock.now();
      let resolvedAt: number | undefined;
      const rollout = mode.firmware({ version: 2, image: new Uint8Array(2_048).map((_, i) => i & 0xff) }, 10 * MINUTE);
      void rollout.then(() => (resolvedAt = clock.now()));
      const report = await clock.drive(rollout);
      const installs = recorder.select('firmware_install');
      expect(report).toMatchObject({ version: 2, installed: topology.tns.length, missing: [] });
      expect(installs).toHaveLength(topology.tns.length);
      const lastInstallAt = Math.max(...installs.map((s) => s.time));
      // the wire takes no time here: the rollout is over the very moment the last TN installed
      expect(report.durationMs).toBe(lastInstallAt - startedAt);
      expect(resolvedAt).toBe(lastInstallAt);
    });

    it('restores service after a power cut on a segment: storm and handshakes tell the same story', async () => {
      const { clock, mode, topology, recorder } = await start();
      const before = mode.stats();
      const storm = await clock.drive(mode.powerRestored('dc1'));
      const after = mode.stats();
      if (storm) {
        expect(storm).toMatchObject({ dc: 'dc1', tns: 3, failed: 0 });
        expect(storm.durationS).toBeGreaterThanOrEqual(0);
      }
      // a mode without sessions re-establishes nothing; one with sessions, one per TN of the segment
      expect(after.handshakes - before.handshakes).toBe(storm?.handshakes ?? 0);
      expect(after.channelsUp).toBe(topology.tns.length);
      mode.automation('dc1', { relay: 'off' });
      await clock.advance(MINUTE);
      expect(
        recorder
          .select('automation_latency')
          .map((s) => s.tags.tn)
          .sort(),
      ).toEqual(topology.tnsOf('dc1'));
      expect((await clock.drive(mode.meterRound(MINUTE))).missing).toEqual([]);
    });

    it("replaces a TN by a new unit: the new unit's credential is taken, the old unit's no longer", async () => {
      const b = await start();
      const { clock, mode, recorder } = b;
      const tn = 'tn1.002';
      const old = subject.credentialOf(mode, tn);
      await clock.drive(mode.replace(tn));
      expect(subject.credentialOf(mode, tn)).not.toEqual(old);
      expect((await clock.drive(mode.meterRound(MINUTE))).missing).toEqual([]);
      // the old unit is plugged in again in the new one's place, with what it had
      const refusedAtHes = frameRejections(recorder, { role: 'hes' });
      const oldUnit = await subject.oldUnitBack(b, tn, old);
      const oldEnrolment = oldUnit.bootstrap();
      await clock.advance(MINUTE);
      const round = await clock.drive(mode.meterRound(MINUTE));
      expect(round.missing).toEqual([tn]);
      expect(frameRejections(recorder, { role: 'hes' })).toBeGreaterThan(refusedAtHes);
      await oldUnit.close();
      await oldEnrolment;
    });

    it('counts in stats() what its nodes emitted: handshakes as `handshake` samples, refusals by reason as `frame_rejected`', async () => {
      const { clock, mode, network, recorder } = await start();
      network.control.inject({ from: 'dc1', to: 'tn1.003', bytes: Uint8Array.of(1, 2, 3) });
      network.control.inject({ from: 'tn2.001', to: 'dc2', bytes: Uint8Array.of(0xff) });
      await clock.advance(MINUTE);
      const stats = mode.stats();
      const handshakes = recorder.select('handshake');
      expect(stats.handshakes).toBe(handshakes.filter((s) => s.tags.kind !== 'failed').length);
      expect(stats.failedHandshakes).toBe(handshakes.filter((s) => s.tags.kind === 'failed').length);
      expect(stats.lostChannels).toBe(0);
      const byReason: Record<string, number> = {};
      for (const s of recorder.select('frame_rejected')) byReason[s.tags.reason!] = (byReason[s.tags.reason!] ?? 0) + 1;
      expect(stats.refused).toEqual(byReason);
      expect(Object.values(stats.refused).reduce((a, b) => a + b, 0)).toBe(2);
    });

    it('refuses and counts what a man in the middle alters on the wire, and carries on once he is gone', async () => {
      const { clock, mode, topology, recorder, network } = await start();
      const attacker = new Attacker({ control: network.control, crypto: CRYPTO_BACKENDS.node, name: 'mitm' });
      // every frame into dc1's segment gets its last byte (a signature, or a TLS record's tag) flipped
      const stop = attacker.intercept({ link: 'plc:dc1', from: 'dc1' }, (frame, ctx) => {
        const bytes = frame.bytes.slice();
        bytes[bytes.length - 1]! ^= 0x01;
        ctx.tamper(frame, bytes);
      });
      mode.automation('dc1', { relay: 'on' });
      await clock.advance(MINUTE);
      stop();
      expect(recorder.select('automation_latency')).toEqual([]);
      const refused = recorder.select('frame_rejected').filter((s) => s.tags.attack?.startsWith('mitm'));
      expect(refused.filter((s) => s.tags.role === 'tn').length).toBeGreaterThan(0);
      expect(Object.values(mode.stats().refused).reduce((a, n) => a + n, 0)).toBeGreaterThanOrEqual(refused.length);
      // honest traffic flows again (a mode with sessions reconnects those the attack broke)
      await clock.advance(10 * MINUTE);
      mode.automation('dc1', { relay: 'off' });
      await clock.advance(MINUTE);
      const after = recorder.select('automation_latency').filter((s) => s.fields.counter === 2);
      expect(after.map((s) => s.tags.tn).sort()).toEqual(topology.tnsOf('dc1'));
    });

    it('closes idempotently, ends what waits on its nodes and leaves no timer running', async () => {
      const b = await start();
      const { clock, mode, topology } = b;
      mode.automation('dc2', { relay: 'on' });
      await clock.advance(500);
      // a round and a rollout still waiting when the mode closes
      const round = mode.meterRound(10 * MINUTE);
      const rollout = mode.firmware({ version: 3, image: new Uint8Array(4_096) }, 10 * MINUTE);
      await b.close();
      await mode.close();
      // what was due at this instant may still fire; nothing is left for later
      await clock.run(clock.now());
      expect(clock.nextTimerAt()).toBeUndefined();
      const [r, f] = await Promise.all([round, rollout]);
      expect(r.responses + r.missing.length).toBe(topology.tns.length);
      expect(f.installed + f.missing.length).toBe(topology.tns.length);
    });
  });
}
