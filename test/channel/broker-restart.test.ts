import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, type NodeId } from '../../core/transport';
import { Topology } from '../../core/topology';
import { startBroker, type Broker } from '../../channel/broker';
import { clientCurve, helloProof, loadBrokerAuth, loadNodeAuth, provisionChannelKeys } from '../../channel/broker-auth';
import { MSG } from '../../channel/envelope';
import { connectTransport, type ZmqTransport } from '../../channel/zmq-transport';
import { classFrame, classify, seqOf } from './helpers';
import { waitFor } from './wire-bench';

/**
 * Binds the broker again on its old port. While it was down the port was free, so for a moment the
 * kernel may have given it to another socket (an outbound connection's local port, or the nodes' own
 * reconnection connecting to itself); a restarted broker process would retry the same way.
 */
async function restartOn(endpoint: string, start: (endpoint: string) => Promise<Broker>): Promise<Broker> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await start(endpoint);
    } catch (e) {
      if (!/Address already in use/.test(String(e)) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A broker and its nodes, the broker killable and restartable on the same endpoint with the same keys. */
async function restartableBench(auth: boolean) {
  const topology = Topology.build(1, 3);
  const keys = auth ? mkdtempSync(join(tmpdir(), 'gridbench-keys-')) : undefined;
  if (keys) provisionChannelKeys(keys, topology.nodes);
  const start = (endpoint: string): Promise<Broker> =>
    startBroker({
      topology,
      random: new Random(1),
      classify,
      endpoint,
      heartbeatMs: 200,
      ...(keys ? { auth: loadBrokerAuth(keys) } : {}),
    });
  let broker = await start('tcp://127.0.0.1:0');
  const endpoint = broker.endpoint;
  const got = new Map<NodeId, number[]>();
  const nodes = new Map<NodeId, ZmqTransport>();
  for (const node of ['dc1', 'tn1.001', 'tn1.002']) {
    const t = await connectTransport({ endpoint, node, heartbeatMs: 200, ...(keys ? { auth: loadNodeAuth(keys, node) } : {}) });
    t.onFrame((r) => got.set(node, [...(got.get(node) ?? []), seqOf(r.frame)]));
    nodes.set(node, t);
  }
  return {
    topology,
    endpoint,
    keys,
    got: (node: NodeId) => got.get(node) ?? [],
    t: (node: NodeId) => nodes.get(node)!,
    broker: () => broker,
    /** The broker process dies (no goodbye to anyone). */
    kill: () => broker.close(),
    async restart() {
      broker = await restartOn(endpoint, start);
    },
    async close() {
      for (const t of nodes.values()) await t.close();
      await broker.close();
      if (keys) rmSync(keys, { recursive: true, force: true });
    },
  };
}

describe('broker restarts and dead peers', () => {
  let bench: Awaited<ReturnType<typeof restartableBench>> | undefined;
  afterEach(async () => {
    await bench?.close();
    bench = undefined;
  });

  it.each([
    ['with authentication', true],
    ['without authentication', false],
  ])(
    'nodes register again after the broker restarts; traffic resumes and what was lost in the gap is counted (%s)',
    async (_name, auth) => {
      bench = await restartableBench(auth);
      const b = bench;
      b.t('dc1').send('tn1.001', classFrame(0x13, 1));
      await waitFor(() => b.got('tn1.001').length === 1, 'a frame before the restart');

      await b.kill();
      // Sent while the broker is down: lost in the gap.
      b.t('dc1').send('tn1.001', classFrame(0x13, 2));
      b.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, 3));
      await b.restart();
      await waitFor(() => ['dc1', 'tn1.001', 'tn1.002'].every((n) => b.broker().connected().includes(n)), 'every node registered again');

      // A TN that only listens is known again: six frames, six deliveries, broadcasts included.
      for (let i = 10; i < 13; i++) b.t('dc1').send('tn1.001', classFrame(0x13, i));
      for (let i = 13; i < 16; i++) b.t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, i));
      await waitFor(() => b.got('tn1.001').filter((s) => s >= 10).length === 6, 'six frames after the restart');
      await waitFor(() => b.got('tn1.002').filter((s) => s >= 10).length === 3, 'three broadcasts after the restart');
      expect(b.got('tn1.001').filter((s) => s >= 10)).toEqual([10, 11, 12, 13, 14, 15]);
      // What was sent in the gap either arrived or was counted, never silently gone; and never as unauthenticated.
      const rejected = b.broker().control.stats().rejected;
      const gapDelivered = b.got('tn1.001').filter((s) => s === 2 || s === 3).length + b.got('tn1.002').filter((s) => s === 3).length;
      expect(gapDelivered + (rejected['not-registered'] ?? 0)).toBeGreaterThanOrEqual(3);
      expect(rejected.unauthenticated ?? 0).toBe(0);
      expect(b.t('tn1.001').stats.rehellos).toBeGreaterThanOrEqual(1);
    },
  );

  it('forgets a node whose connection died without a goodbye, and counts what it can no longer be given', async () => {
    bench = await restartableBench(true);
    const b = bench;
    const keys = loadNodeAuth(b.keys!, 'tn1.003');
    const tn = new zmq.Dealer({ routingId: 'tn1.003', linger: 0, ...clientCurve(keys) });
    tn.connect(b.endpoint);
    await tn.send(Buffer.concat([Buffer.of(MSG.HELLO), helloProof('tn1.003', keys)]));
    await waitFor(() => b.broker().connected().includes('tn1.003'), 'tn1.003 registered');
    tn.close(); // the process dies: no BYE
    await waitFor(() => {
      b.t('dc1').send('tn1.003', classFrame(0x13, 1));
      return !b.broker().connected().includes('tn1.003');
    }, 'the dead peer forgotten');
    await waitFor(() => (b.broker().control.stats().rejected['not-registered'] ?? 0) >= 1, 'the frames for it counted');
  });
});
