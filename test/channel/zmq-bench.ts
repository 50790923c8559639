import { afterEach } from 'vitest';
import { Random } from '../../core/random';
import type { NodeId, ReceivedFrame } from '../../core/transport';
import { startBroker, type Broker } from '../../channel/broker';
import type { ProfileSpec } from '../../channel/profile';
import { Topology } from '../../core/topology';
import { connectTransport, type ZmqTransport } from '../../channel/zmq-transport';
import { classify } from './helpers';

export interface ZmqReceived extends ReceivedFrame {
  readonly to: NodeId;
  /** Epoch ms at which the test process got it. */
  readonly at: number;
}

/**
 * A broker on a free loopback port with every node of a small topology connected over ZeroMQ,
 * each recording what it receives. close() ends every socket.
 */
export async function zmqBench(
  opts: { dcs?: number; tns?: number; plc?: ProfileSpec; wan?: ProfileSpec; seed?: number; control?: boolean; skip?: NodeId[] } = {},
) {
  const topology = Topology.build(opts.dcs ?? 1, opts.tns ?? 3);
  const broker: Broker = await startBroker({
    topology,
    random: new Random(opts.seed ?? 1),
    classify,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: (link) => (link.kind === 'plc' ? opts.plc : opts.wan),
    ...(opts.control ? { control: { port: 0 } } : {}),
  });
  const received: ZmqReceived[] = [];
  const transports = new Map<NodeId, ZmqTransport>();
  try {
    for (const node of topology.nodes) {
      if (opts.skip?.includes(node)) continue;
      const t = await connectTransport({ endpoint: broker.endpoint, node });
      t.onFrame((r) => received.push({ ...r, to: node, at: performance.timeOrigin + performance.now() }));
      transports.set(node, t);
    }
  } catch (err) {
    for (const t of transports.values()) await t.close();
    await broker.close();
    throw err;
  }
  const t = (node: NodeId): ZmqTransport => transports.get(node)!;
  const at = (node: NodeId): ZmqReceived[] => received.filter((r) => r.to === node);
  return {
    broker,
    control: broker.control,
    topology,
    received,
    t,
    at,
    async close() {
      for (const tr of transports.values()) await tr.close();
      await broker.close();
    },
  };
}

export type ZmqBench = Awaited<ReturnType<typeof zmqBench>>;

/** Starts a bench per test, each closed after its test; call once per file, outside the tests. */
export function zmqBenchPerTest(): (opts?: Parameters<typeof zmqBench>[0]) => Promise<ZmqBench> {
  let open: ZmqBench | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  return async (opts) => (open = await zmqBench(opts));
}

/** Resolves when check() holds; rejects with `what` after timeoutMs (generous: the machine is shared). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets in-flight frames land so that "nothing more arrived" can be asserted. */
export const settle = (ms = 200): Promise<void> => new Promise((r) => setTimeout(r, ms));
