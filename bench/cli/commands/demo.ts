/**
 * gridbench demo: the lean protocol end to end in a few seconds, on the virtual clock and the
 * emulated G3-PLC wire: 1 HES, 2 DCs, 20 TNs; bootstrap, a meter round, an automation broadcast,
 * a firmware update; it prints what happened.
 */
import { parseArgs } from 'node:util';
import { createEmulatedNetwork } from '../../../channel/emulated-network';
import { Topology } from '../../../channel/topology';
import { CRYPTO_BACKENDS } from '../../../nodes/crypto';
import { GOALS, GoalMonitor } from '../../../nodes/lean/goal-monitor';
import { LeanMode } from '../../../nodes/lean/lean-mode';
import { VirtualClock } from '../../../nodes/runtime/clock';
import { SampleRecorder } from '../../../nodes/runtime/metrics';
import { Random } from '../../../nodes/runtime/random';
import { MemoryNodeStore } from '../../../nodes/store/node-store';
import { percentile } from '../../perf/measure';
import type { Command } from '../command';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export const command: Command = {
  summary: 'lean protocol demo: 2 DCs x 10 TNs on G3-PLC, virtual clock',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { seed: { type: 'string', default: '1' }, help: { type: 'boolean' } } });
    if (values.help) {
      console.log('usage: gridbench demo [--seed N]');
      return 0;
    }
    const clock = new VirtualClock();
    const topology = Topology.build(2, 10);
    const random = new Random(values.seed!);
    const recorder = new SampleRecorder();
    const metrics = recorder.metrics(clock);
    const monitor = new GoalMonitor();
    const network = createEmulatedNetwork({
      topology,
      clock,
      random: random.fork('channel'),
      metrics,
      profileFor: (link) => ({ preset: link.kind === 'plc' ? 'g3-plc-cenelec-a' : 'dsl' }),
    });
    const mode = new LeanMode({
      topology,
      network,
      clock,
      crypto: { hes: CRYPTO_BACKENDS.node, dc: CRYPTO_BACKENDS.node, tn: CRYPTO_BACKENDS.noble },
      metrics,
      random,
      storeFor: () => new MemoryNodeStore(),
      observer: monitor,
    });
    console.log(`gridbench demo: lean mode, ${topology.dcs.length} DCs x ${topology.tnsOf('dc1').length} TNs, G3-PLC CENELEC-A segments, DSL WAN, seed ${values.seed}, virtual clock`);
    const boot = await clock.drive(mode.bootstrap());
    console.log(`bootstrap   ${boot.enrolled} nodes enrolled in ${s(boot.durationMs)}${boot.failed.length ? `, failed: ${boot.failed.join(', ')}` : ''}`);
    const round = await clock.drive(mode.meterRound(120_000));
    console.log(`meter round #${round.round}: ${round.responses} responses in ${s(round.durationMs)}${round.missing.length ? `, missing: ${round.missing.join(', ')}` : ''}`);
    const command = mode.automation('dc1', { relay: 'on' });
    await clock.advance(10_000);
    const latencies = recorder.select('automation_latency').map((x) => x.fields.latency_ms as number);
    console.log(
      `automation  dc1 -> ${latencies.length}/${command.addressed} TNs accepted, one ${command.segmentBytes}-byte broadcast, latency p50 ${percentile(latencies, 50).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    mode.confidential('tn1.005', new TextEncoder().encode('prepaid balance 12.50 EUR'));
    await clock.advance(5_000);
    const inbox = mode.tns.get('tn1.005')!.inboxMessages;
    console.log(`confidential HES -> tn1.005: ${inbox.length ? `"${new TextDecoder().decode(inbox.at(-1))}" accepted` : 'not delivered'}`);
    const fw = await clock.drive(mode.firmware({ version: 2, image: new Uint8Array(8 * 1024).map((_, i) => i & 0xff) }, 600_000));
    console.log(`firmware    v${fw.version} (8 KiB) installed on ${fw.installed} TNs in ${s(fw.durationMs)}${fw.missing.length ? `, missing: ${fw.missing.join(', ')}` : ''}`);
    const rejected = recorder.select('frame_rejected');
    const byReason = new Map<string, number>();
    for (const r of rejected) byReason.set(r.tags.reason!, (byReason.get(r.tags.reason!) ?? 0) + 1);
    console.log(`rejections  ${[...byReason].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    console.log(`goals       ${GOALS.map((g) => `${g} ${monitor.tally(g).accepted} ok / ${monitor.violationsOf(g)} violated`).join('; ')}`);
    await mode.close();
    await network.close();
    return monitor.totalViolations === 0 ? 0 : 1;
  },
};
