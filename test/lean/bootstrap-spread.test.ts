/**
 * The lean bootstrap desynchronised (docs/DESIGN.md 2.1, "Bootstrapping"; issue 13): a G3-PLC
 * segment's TNs spread their first registrations over the time the segment needs to carry every
 * enrolment once, a retry waits 0.5 to 1.5 times its nominal wait from when its registration left
 * the node, and all of it is drawn from the seed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulatedNetwork, type EmulatedNetwork } from '../../channel/emulated-network';
import { PRESETS } from '../../channel/presets';
import type { TapEvent } from '../../channel/taps';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { phyBytes, stormBoundS } from '../../core/phy';
import { Random } from '../../core/random';
import { Topology } from '../../core/topology';
import { ALL_BACKENDS } from '../../nodes/crypto';
import type { LeanMode } from '../../nodes/lean/lean-mode';
import { createMode } from '../../nodes/modes';
import { peekClassName } from '../../nodes/protocol/message-class';

const G3 = PRESETS['g3-plc-cenelec-a'];

interface Segment {
  readonly clock: VirtualClock;
  readonly network: EmulatedNetwork;
  readonly mode: LeanMode;
  readonly recorder: SampleRecorder;
  /** Every registration a TN handed to the segment, with the time it did. */
  readonly registrations: TapEvent[];
  close(): Promise<void>;
}

let open: Segment | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

/** One DC and its G3-PLC segment of `tns` TNs, DSL to the HES, the ideal crypto backend. */
function segment(tns: number, seed = 'spread'): Segment {
  const clock = new VirtualClock();
  const topology = Topology.build(1, tns);
  const random = new Random(seed);
  const recorder = new SampleRecorder();
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    profileFor: (link) => ({ preset: link.kind === 'plc' ? 'g3-plc-cenelec-a' : 'dsl' }),
  });
  const ideal = ALL_BACKENDS.ideal;
  const mode = createMode('lean', {
    crypto: { hes: ideal, dc: ideal, tn: ideal },
    topology,
    network,
    clock,
    random,
    metrics: recorder.metrics(clock),
    plc: () => G3,
  });
  const registrations: TapEvent[] = [];
  const untap = network.control.tap((event) => registrations.push(event), { link: 'plc:dc1', class: 'tn-key' });
  open = {
    clock,
    network,
    mode,
    recorder,
    registrations,
    close: async () => {
      untap();
      await mode.close();
      await network.close();
    },
  };
  return open;
}

/** The least time the segment carries every TN's registration (161 bytes) and its answer (571) once. */
const enrolmentBoundMs = (tns: number) => stormBoundS(G3, tns, phyBytes(G3, 161) + phyBytes(G3, 571)) * 1000;

const timesOf = (events: readonly TapEvent[]) => events.map((e) => e.time);

describe('a lean segment powering up', () => {
  it('enrols 300 TNs with one registration each, in about the time the segment needs to carry them', async () => {
    const s = segment(300);
    const report = await s.clock.drive(s.mode.bootstrap());
    expect(report.enrolled).toBe(300);
    const tnSamples = s.recorder.select('bootstrap', { role: 'tn' });
    expect(tnSamples).toHaveLength(300);
    // all at once, 300 enrolments (45.6 s of air) outlast the 30 s retry timer: copies, and answers to them
    expect(tnSamples.every((sample) => sample.fields.registrations === 1)).toBe(true);
    expect(s.registrations).toHaveLength(300);
    const bound = enrolmentBoundMs(300);
    const sent = timesOf(s.registrations);
    const dcEnrolledAt = s.recorder.select('bootstrap', { role: 'dc' })[0]!.time;
    // spread over the bound, not bunched at the start
    expect(Math.max(...sent) - Math.min(...sent)).toBeGreaterThan(0.9 * bound);
    expect(sent.filter((t) => t - dcEnrolledAt < bound / 2).length).toBeLessThan(0.6 * 300);
    expect(report.durationMs).toBeLessThan(dcEnrolledAt + 1.15 * bound);
  });

  it('waits 15 to 45 s, then 30 to 90 s, from when a registration left, each TN its own draw', async () => {
    const s = segment(20);
    // the DC gets no registration for the first 100 s: each TN sends its first and its retries
    const block = s.network.control.addInterceptor({ id: 'block', type: 'drop', match: { link: 'plc:dc1', class: 'tn-key' } });
    await s.clock.drive(s.mode.dcs.get('dc1')!.bootstrap());
    const bootstrap = s.mode.bootstrap();
    await s.clock.advance(100_000);
    s.network.control.removeInterceptor(block.id);
    expect((await s.clock.drive(bootstrap)).enrolled).toBe(20);
    const byTn = new Map<string, number[]>();
    for (const e of s.registrations) byTn.set(e.from, [...(byTn.get(e.from) ?? []), e.time]);
    expect(byTn.size).toBe(20);
    const firstWaits: number[] = [];
    for (const [, times] of byTn) {
      expect(times.length).toBeGreaterThanOrEqual(3);
      const [first, second, third] = times as [number, number, number];
      // a lone registration leaves the node within a few frame times of being handed over
      expect(second - first).toBeGreaterThanOrEqual(15_000);
      expect(second - first).toBeLessThan(45_000 + 1_000);
      expect(third - second).toBeGreaterThanOrEqual(30_000);
      expect(third - second).toBeLessThan(90_000 + 1_000);
      firstWaits.push(second - first);
    }
    // no two TNs on the same schedule
    expect(new Set(firstWaits.map((w) => Math.round(w))).size).toBe(20);
  });

  it('sends no copy while its registration waits for the segment, however long', async () => {
    const s = segment(5);
    await s.clock.drive(s.mode.dcs.get('dc1')!.bootstrap());
    // the medium busy for 120 s: the registrations wait in the TNs' transmit queues, past every retry timer
    s.network.control.addInterceptor({ id: 'jam', type: 'jam', match: { link: 'plc:dc1' }, config: { durationMs: 120_000 } });
    const report = await s.clock.drive(s.mode.bootstrap());
    expect(report.enrolled).toBe(5);
    expect(report.durationMs).toBeGreaterThan(120_000);
    expect(s.recorder.select('bootstrap', { role: 'tn' }).map((sample) => sample.fields.registrations)).toEqual([1, 1, 1, 1, 1]);
  });

  it('draws the same schedule for the same seed, another for another seed', async () => {
    const schedule = async (seed: string) => {
      const s = segment(30, seed);
      await s.clock.drive(s.mode.bootstrap());
      const sent = s.registrations.map((e) => ({ tn: e.from, at: e.time }));
      await s.close();
      open = undefined;
      return sent;
    };
    const a = await schedule('one');
    expect(await schedule('one')).toEqual(a);
    // not merely shifted (the WAN's jitter moves the DC's enrolment): the TNs go in another order
    const order = (sent: { tn: string }[]) => sent.map((r) => r.tn);
    expect(order(await schedule('two'))).not.toEqual(order(a));
  });
});
