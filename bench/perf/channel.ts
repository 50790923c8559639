/**
 * perf:channel: how fast and how faithful the channel emulator is. Prints progress on stderr and,
 * as its last stdout line, one JSON object:
 *   forwarding  64-byte frames through the broker process (pass-through) vs raw zeromq.js PUSH/PULL
 *   overhead    latency the broker adds at 1,000 frames/s (broker path minus a direct ZeroMQ hop)
 *   fidelity    per preset: configured vs measured bit rate, loss and latency on a saturated link
 *   bridge      per WAN preset through the TCP bridge: set-up round trip to the first echoed byte,
 *               a socat upload (when socat had written it, when it arrived) against the model
 * forwarding and overhead are measured twice, without and with node authentication (CURVE and
 * the HELLO proof, channel/broker-auth.ts), side by side under `authentication`. --broker-only
 * skips fidelity and bridge.
 * Measurements alternate between the compared variants (the machine is small and shared) and
 * report medians. Each says which clock it ran on. One file per measurement under channel/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNodeAuth, provisionChannelKeys } from '../../channel/broker-auth';
import { Topology } from '../../core/topology';
import { connectTransport } from '../../channel/zmq-transport';
import { startBrokerProcess } from './channel/broker-process';
import { measureBridge } from './channel/bridge';
import { measureFidelity } from './channel/fidelity';
import { measureForwarding } from './channel/forwarding';
import { measureOverhead } from './channel/overhead';
import { report, round } from './measure';

async function main(): Promise<void> {
  const started = Date.now();
  const brokerOnly = process.argv.includes('--broker-only');
  const keys = mkdtempSync(join(tmpdir(), 'perf-channel-keys-'));
  provisionChannelKeys(keys, Topology.build(1, 20).nodes);
  const throughBroker = async (withKeys: boolean) => {
    const auth = (node: string) => (withKeys ? { auth: loadNodeAuth(keys, node) } : {});
    const passThrough = await startBrokerProcess(
      'links:\n  plc: { preset: pass-through }\n  wan: { preset: pass-through }',
      withKeys ? keys : undefined,
    );
    const tx = await connectTransport({ endpoint: passThrough.endpoint, node: 'tn1.001', ...auth('tn1.001') });
    const rx = await connectTransport({ endpoint: passThrough.endpoint, node: 'dc1', ...auth('dc1') });
    // Latency first, on a fresh heap: the throughput rounds leave garbage whose collection shows in tails.
    const overhead = await measureOverhead(tx, rx, withKeys ? keys : undefined);
    const forwarding = await measureForwarding(tx, rx);
    await tx.close();
    await rx.close();
    await passThrough.stop();
    return { overhead, forwarding };
  };
  const { overhead, forwarding } = await throughBroker(false);
  const curve = await throughBroker(true);
  rmSync(keys, { recursive: true, force: true });

  const fidelity = brokerOnly ? [] : await measureFidelity();
  const bridge = brokerOnly ? undefined : await measureBridge();

  const result = {
    forwarding,
    overhead,
    fidelity,
    bridge,
    authentication: {
      forwardingRatio: { none: forwarding.ratio, curve: curve.forwarding.ratio },
      framesPerSec: { none: forwarding.framesPerSec, curve: curve.forwarding.framesPerSec },
      overheadP50Ms: { none: overhead.p50Ms, curve: curve.overhead.p50Ms },
      overheadP99Ms: { none: overhead.p99Ms, curve: curve.overhead.p99Ms },
      curve,
    },
    targets: {
      forwardingRatio: { target: '>= 0.5', met: forwarding.ratio >= 0.5 },
      overheadP99Ms: { target: '<= 1', met: overhead.p99Ms <= 1 },
      forwardingRatioWithAuth: { target: '>= 0.5', met: curve.forwarding.ratio >= 0.5 },
      overheadP99MsWithAuth: { target: '<= 1', met: curve.overhead.p99Ms <= 1 },
      measuredBps: { target: 'within 2%', met: fidelity.every((f) => Math.abs(f.bpsErrorPct) <= 2) },
      measuredLoss: { target: 'inside 99% CI', met: fidelity.every((f) => f.withinTargets) },
    },
    machine: { cpus: cpus().length, node: process.version },
    durationS: round((Date.now() - started) / 1000, 1),
  };
  report(result);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
