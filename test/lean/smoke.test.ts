import { expect, it } from 'vitest';
import { Topology } from '../../channel/topology';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { GoalMonitor } from '../../nodes/lean/goal-monitor';
import { LeanMode } from '../../nodes/lean/lean-mode';
import { VirtualClock } from '../../nodes/runtime/clock';
import { SampleRecorder } from '../../nodes/runtime/metrics';
import { Random } from '../../nodes/runtime/random';
import { MemoryNodeStore } from '../../nodes/store/node-store';
import { directNetwork } from './direct-network';

it('lean smoke', async () => {
  const clock = new VirtualClock();
  const topology = Topology.build(2, 10);
  const network = directNetwork(topology, clock);
  const rec = new SampleRecorder();
  const monitor = new GoalMonitor();
  const mode = new LeanMode({
    topology, network, clock, crypto: { hes: CRYPTO_BACKENDS.node, dc: CRYPTO_BACKENDS.node, tn: CRYPTO_BACKENDS.noble },
    metrics: rec.metrics(clock), random: new Random(1), storeFor: () => new MemoryNodeStore(), observer: monitor,
  });
  const boot = await clock.drive(mode.bootstrap());
  expect(boot.failed).toEqual([]);
  const round = await clock.drive(mode.meterRound(60_000));
  expect(round.responses).toBe(20);
  mode.automation('dc1', { relay: 'on' });
  mode.confidential('tn2.003', new TextEncoder().encode('prepaid 12.50'));
  const fw = await clock.drive(mode.firmware({ version: 2, image: new Uint8Array(1000).fill(7) }, 600_000));
  expect(fw.missing).toEqual([]);
  await clock.advance(1000);
  await mode.close();
  console.log(rec.samples.length, monitor.violations, ['fresh_authentic_DC','fresh_authentic_FW','secure_TN_HES','secure_HES_TN'].map(g => monitor.tally(g as any)));
  console.log(rec.select('frame_rejected').map(s => [s.tags.reason, s.tags.class]).slice(0, 10));
  expect(monitor.totalViolations).toBe(0);
});
