import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import type { NodeId, ReceivedFrame, Transport } from '../../core/transport';
import { createEmulatedNetwork, type EmulatedNetwork } from '../../channel/emulated-network';
import type { ProfileSpec } from '../../channel/profile';
import { Topology, type LinkId } from '../../core/topology';
import type { FrameClassifier } from '../../channel/frame';
import { peekClassName } from '../../nodes/protocol/message-class';

/** The protocol's classifier, as bench/ hands it to the channel: classFrame's header names the class. */
export const classify: FrameClassifier = peekClassName;

export interface Received extends ReceivedFrame {
  readonly at: number;
  readonly to: NodeId;
}

/** A virtual-clock network on a small topology with every node attached and recording what it receives. */
export function virtualBench(opts: {
  dcs?: number;
  tns?: number;
  seed?: string | number;
  plc?: ProfileSpec;
  wan?: ProfileSpec;
  metricsIntervalMs?: number;
}) {
  const clock = new VirtualClock();
  const recorder = new SampleRecorder();
  const topology = Topology.build(opts.dcs ?? 1, opts.tns ?? 3);
  const net: EmulatedNetwork = createEmulatedNetwork({
    topology,
    clock,
    random: new Random(opts.seed ?? 1),
    classify,
    metrics: recorder.metrics(clock),
    profileFor: (link: LinkId) => (link.kind === 'plc' ? opts.plc : opts.wan),
    ...(opts.metricsIntervalMs !== undefined ? { metricsIntervalMs: opts.metricsIntervalMs } : {}),
  });
  const received: Received[] = [];
  const transports = new Map<NodeId, Transport>();
  for (const node of topology.nodes) {
    const t = net.attach(node);
    t.onFrame((r) => received.push({ ...r, at: clock.now(), to: node }));
    transports.set(node, t);
  }
  const t = (node: NodeId): Transport => transports.get(node)!;
  const at = (node: NodeId): Received[] => received.filter((r) => r.to === node);
  return { clock, recorder, topology, net, received, t, at, control: net.control };
}

export const bytes = (n: number, fill = 0xab): Uint8Array => new Uint8Array(n).fill(fill);

/** A frame with the wire header of a message class (version 1, class code) and a counter. */
export function classFrame(code: number, seq: number, size = 16): Uint8Array {
  const f = new Uint8Array(size);
  f[0] = 1;
  f[1] = code;
  new DataView(f.buffer).setUint32(2, seq);
  return f;
}

export const seqOf = (frame: Uint8Array): number => new DataView(frame.buffer, frame.byteOffset).getUint32(2);

/** 99% two-sided normal interval half-width of a binomial proportion. */
export const ci99 = (p: number, n: number): number => 2.576 * Math.sqrt((p * (1 - p)) / n);
