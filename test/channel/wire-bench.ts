import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBrokerAuth, loadNodeAuth, provisionChannelKeys } from '../../channel/broker-auth';
import { afterEach, describe } from 'vitest';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, type Destination, type NodeId, type ReceivedFrame, type Transport } from '../../core/transport';
import { Topology } from '../../core/topology';
import { startBroker, type Broker } from '../../channel/broker';
import type { ChannelControl } from '../../channel/control';
import type { ProfileSpec } from '../../channel/profile';
import { connectTransport, type ZmqTransport } from '../../channel/zmq-transport';
import { classFrame, classify, virtualBench } from './helpers';

export interface WireReceived extends ReceivedFrame {
  readonly to: NodeId;
  /** Arrival on the wire's clock (virtual ms, or epoch ms over ZeroMQ: the timeline of sentAt). */
  readonly at: number;
}

export interface WireOptions {
  dcs?: number;
  tns?: number;
  plc?: ProfileSpec;
  wan?: ProfileSpec;
  seed?: number;
}

/**
 * A small topology with every node attached, each recording what it receives, on one of two
 * wires: the in-process network on a VirtualClock, or the broker with every node a ZeroMQ client
 * on the real clock. A test written against it runs on both, as zeromq.js runs one suite over
 * tcp, ipc and inproc.
 */
export interface WireBench {
  readonly control: ChannelControl;
  readonly topology: Topology;
  /** What the nodes received, in arrival order; end markers are left out. */
  readonly received: WireReceived[];
  t(node: NodeId): Transport;
  at(node: NodeId): WireReceived[];
  /** Now on the wire's clock. */
  now(): number;
  /** How far two readings of the wire's clock taken at different places may disagree: 0 on the virtual clock. */
  readonly slackMs: number;
  /** Lets the wire run until check() holds; fails naming `what` when it never does. */
  until(check: () => boolean, what: string): Promise<void>;
  /**
   * Proves that nothing more is on its way from `from` to `to` (a node, or SEGMENT_BROADCAST for
   * every TN of from's segment). On the virtual clock: the clock is run dry, so every timer that
   * could still deliver something has fired. Over ZeroMQ: `from` sends an end marker, which the
   * test waits for; it arrives behind every frame `from` sent before it and behind everything the
   * broker already did for frames whose effects the test has seen. Pick a path the interceptors
   * under test leave alone (the marker's class is 'unknown').
   */
  quiet(from: NodeId, to: Destination): Promise<void>;
  close(): Promise<void>;
}

/** Class code of end markers: no message class, so matchers by class never select them. */
export const END_MARKER = 0x7f;
export const isEndMarker = (frame: Uint8Array): boolean => frame.length >= 2 && frame[0] === 1 && frame[1] === END_MARKER;

/** The in-process network on a VirtualClock. */
export async function virtualWire(opts: WireOptions = {}): Promise<WireBench> {
  const b = virtualBench(opts);
  const { clock } = b;
  return {
    control: b.control,
    topology: b.topology,
    received: b.received,
    t: b.t,
    at: b.at,
    now: () => clock.now(),
    slackMs: 0,
    async until(check, what) {
      await clock.run(clock.now());
      while (!check()) {
        const next = clock.nextTimerAt();
        if (next === undefined) throw new Error(`not reached on the virtual clock: ${what}`);
        await clock.run(next);
      }
    },
    quiet: () => clock.run(),
    close: () => b.net.close(),
  };
}

/** The broker on a free loopback port, every node of the topology a ZeroMQ client. */
export async function zmqWire(
  opts: WireOptions & { control?: boolean; skip?: NodeId[]; auth?: boolean } = {},
): Promise<WireBench & { broker: Broker; stateDir?: string }> {
  const topology = Topology.build(opts.dcs ?? 1, opts.tns ?? 3);
  // With auth: keys provisioned as `gridbench provision` does, in a directory removed on close.
  const stateDir = opts.auth ? mkdtempSync(join(tmpdir(), 'gridbench-keys-')) : undefined;
  if (stateDir) provisionChannelKeys(stateDir, topology.nodes);
  const broker = await startBroker({
    topology,
    random: new Random(opts.seed ?? 1),
    classify,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: (link) => (link.kind === 'plc' ? opts.plc : opts.wan),
    ...(opts.control ? { control: { port: 0 } } : {}),
    ...(stateDir ? { auth: loadBrokerAuth(stateDir) } : {}),
  });
  const now = (): number => performance.timeOrigin + performance.now();
  const received: WireReceived[] = [];
  const markers = new Map<NodeId, number>();
  const transports = new Map<NodeId, ZmqTransport>();
  try {
    for (const node of topology.nodes) {
      if (opts.skip?.includes(node)) continue;
      const t = await connectTransport({ endpoint: broker.endpoint, node, ...(stateDir ? { auth: loadNodeAuth(stateDir, node) } : {}) });
      t.onFrame((r) => {
        if (isEndMarker(r.frame)) markers.set(node, (markers.get(node) ?? 0) + 1);
        else received.push({ ...r, to: node, at: now() });
      });
      transports.set(node, t);
    }
  } catch (err) {
    for (const t of transports.values()) await t.close();
    await broker.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
  const t = (node: NodeId): ZmqTransport => {
    const transport = transports.get(node);
    if (!transport) throw new Error(`zmqWire: node "${node}" is not connected`);
    return transport;
  };
  let sentMarkers = 0;
  return {
    broker,
    ...(stateDir ? { stateDir } : {}),
    control: broker.control,
    topology,
    received,
    t,
    at: (node) => received.filter((r) => r.to === node),
    now,
    slackMs: 2,
    until: waitFor,
    async quiet(from, to) {
      const receivers = to === SEGMENT_BROADCAST ? topology.tnsOf(from) : [to];
      const expected = new Map(receivers.map((r) => [r, (markers.get(r) ?? 0) + 1]));
      t(from).send(to, classFrame(END_MARKER, ++sentMarkers));
      await waitFor(() => receivers.every((r) => (markers.get(r) ?? 0) >= expected.get(r)!), `end marker ${from} -> ${to}`);
    },
    async close() {
      for (const tr of transports.values()) await tr.close();
      await broker.close();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Starts a bench per test, each closed after its test; call once per describe block, outside the tests. */
export function benchPerTest<O, B extends WireBench>(make: (opts?: O) => Promise<B>): (opts?: O) => Promise<B> {
  let open: B | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  return async (opts) => (open = await make(opts));
}

export const WIRES = { 'virtual clock': virtualWire, ZeroMQ: zmqWire } as const;

/** Declares `suite` once per wire, inside a describe block named after it, with a bench per test. */
export function forEachWire(suite: (start: (opts?: WireOptions) => Promise<WireBench>) => void): void {
  for (const [name, make] of Object.entries(WIRES))
    describe(`over ${name}`, () => {
      suite(benchPerTest<WireOptions, WireBench>(make));
    });
}

/**
 * Resolves when check() holds; rejects with `what` after timeoutMs (generous: the machine is
 * shared). A poll of the real clock for something that must happen, never a wait for something
 * that must not.
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
