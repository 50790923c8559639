/**
 * A small lean-mode bench on the emulated wire for the security-goal tests: a HES, DCs and TNs on
 * a VirtualClock, a goal oracle, every sample recorded, and an attacker holding the wire.
 */
import { Attacker } from '../../bench/attack/attacker';
import { createEmulatedNetwork, type EmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import { ALL_BACKENDS } from '../../nodes/crypto';
import type { BackendName } from '../../nodes/crypto/backend';
import type { LeanMode, LeanOptions } from '../../nodes/lean/lean-mode';
import { createMode } from '../../nodes/modes';
import { expect } from 'vitest';
import { GoalOracle, judgeConfidentiality, topologyMembership, type Violation } from '../../nodes/oracle/goal-oracle';
import type { ContentMemoryOptions } from '../../nodes/oracle/content-memory';
import type { RejectionReason } from '../../nodes/protocol/rejection';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { peekClassName } from '../../nodes/protocol/message-class';
import type { TapEvent } from '../../channel/taps';

export interface LeanBench {
  readonly clock: VirtualClock;
  readonly topology: Topology;
  readonly network: EmulatedNetwork;
  readonly mode: LeanMode;
  readonly oracle: GoalOracle;
  readonly recorder: SampleRecorder;
  readonly attacker: Attacker;
  /** Refusals counted so far, by reason (and role). */
  rejected(reason: RejectionReason, role?: 'hes' | 'dc' | 'tn'): number;
  /** Lets `ms` of simulated time pass (frames in flight arrive). */
  wait(ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** The goal tests run on real crypto and on the ideal functionality (nodes/crypto/ideal.ts). */
export const GOAL_BACKENDS: readonly BackendName[] = ['node', 'ideal'];

export async function leanBench(
  options: {
    dcs?: number;
    tnsPerDc?: number;
    bootstrap?: boolean;
    seed?: string;
    lean?: LeanOptions;
    crypto?: BackendName;
    /** How much content the oracle keeps (a small memory: a test of what it does once it forgot). */
    memory?: ContentMemoryOptions;
  } = {},
): Promise<LeanBench> {
  const clock = new VirtualClock();
  const topology = Topology.build(options.dcs ?? 2, options.tnsPerDc ?? 3);
  const random = new Random(options.seed ?? 'goals');
  const recorder = new SampleRecorder();
  const oracle = new GoalOracle(topologyMembership(topology), options.memory);
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    metrics: recorder.metrics(clock),
  });
  const crypto = ALL_BACKENDS[options.crypto ?? 'node'];
  const mode = createMode('lean', {
    crypto: { hes: crypto, dc: crypto, tn: crypto },
    topology,
    network,
    clock,
    metrics: recorder.metrics(clock),
    random,
    observer: oracle,
    options: { retry: { firstMs: 5_000, maxMs: 20_000 }, firmware: { passes: 1, chunkIntervalMs: 10 }, ...options.lean },
  });
  const attacker = new Attacker({ control: network.control, crypto, keysOf: (node) => mode.keysOf(node) });
  const untap = judgeConfidentiality(oracle, mode, network, topology, crypto);
  if (options.bootstrap !== false) {
    const report = await clock.drive(mode.bootstrap());
    if (report.failed.length) throw new Error(`bench bootstrap failed for ${report.failed.join(', ')}`);
  }
  return {
    clock,
    topology,
    network,
    mode,
    oracle,
    recorder,
    attacker,
    rejected: (reason, role) => recorder.select('frame_rejected', { reason, ...(role ? { role } : {}) }).length,
    wait: (ms = 1_000) => clock.advance(ms),
    close: async () => {
      untap();
      await mode.close();
      await network.close();
    },
  };
}

/**
 * Automation commands from dc1 the attacker held back on its segment: sent, recorded and kept
 * from every TN, then the segment let go. Returns the held frames, in the order they were sent.
 */
export async function heldAutomation(b: LeanBench, ...relays: ('on' | 'off')[]): Promise<readonly TapEvent[]> {
  const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
  const unblock = b.attacker.block({ link: 'plc:dc1', class: 'automation' });
  for (const relay of relays) b.mode.automation('dc1', { relay });
  await b.wait(5_000);
  unblock();
  return recording.frames;
}

/** A planted bug: the TN forgets the last command counter it took from its DC (as after a reset). */
function forgetDcCounter(b: LeanBench, tn: string): void {
  (b.mode.tns.get(tn) as unknown as { counters: { dc: number } }).counters.dc = 0;
}

/**
 * Replays a recorded automation command from dc1 to `tn`: the real TN refuses it as stale, with
 * no violation; then the TN forgets its DC's counter (forgetDcCounter) and the same replay is
 * taken. Returns the violations the oracle counted for that.
 */
export async function replayToBrokenTn(b: LeanBench, frame: TapEvent, tn = 'tn1.001'): Promise<readonly Violation[]> {
  const replay = () => b.attacker.replay(frame, { from: 'dc1', to: tn });
  replay();
  await b.wait(5_000);
  expect(b.rejected('stale-counter', 'tn')).toBe(1);
  expect(b.oracle.violations).toEqual([]);
  forgetDcCounter(b, tn);
  replay();
  await b.wait(5_000);
  return b.oracle.violations;
}
