import { afterEach, describe, expect, it } from 'vitest';
import { RealClock, VirtualClock, type Clock } from '../../core/clock';
import { Random } from '../../core/random';
import { SEGMENT_BROADCAST, type Destination, type Network, type NodeId, type ReceivedFrame, type Transport } from '../../core/transport';
import { startBroker } from '../../channel/broker';
import type { ChannelControl } from '../../channel/control';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import { createZmqNetwork } from '../../channel/zmq-transport';
import { classFrame, classify, seqOf } from './helpers';
import { END_MARKER, isEndMarker, waitFor } from './wire-bench';

/**
 * One suite for every Transport/Network implementation (libp2p's compliance-suite shape): node
 * code must not be able to tell the in-process network, on either clock, from the ZeroMQ broker.
 */
interface Harness {
  readonly network: Network;
  readonly control: ChannelControl;
  readonly clock: Clock;
  /** Lets time pass until check() holds (or fails the test). */
  until(check: () => boolean, what: string): Promise<void>;
  /** Resolves when the network knows every attached node (a ZeroMQ client has been welcomed). */
  ready(): Promise<void>;
  /**
   * On the virtual clock: runs it dry, which proves nothing more can arrive. Elsewhere undefined:
   * the test sends an end marker behind the frames under test instead (attachAll's quiet).
   */
  readonly drain: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

const topology = Topology.build(2, 3);

const implementations: Record<string, () => Promise<Harness>> = {
  'emulated network, virtual clock': async () => {
    const clock = new VirtualClock();
    const net = createEmulatedNetwork({ topology, clock, random: new Random(1), classify });
    const run = () => clock.run();
    return {
      network: net,
      control: net.control,
      clock,
      until: async (check, what) => {
        await run();
        if (!check()) throw new Error(`not reached: ${what}`);
      },
      ready: async () => {},
      drain: run,
      close: () => net.close(),
    };
  },
  'emulated network, real clock': async () => {
    const clock = new RealClock();
    const net = createEmulatedNetwork({ topology, clock, random: new Random(1), classify });
    return {
      network: net,
      control: net.control,
      clock,
      until: waitFor,
      ready: async () => {},
      drain: undefined,
      close: () => net.close(),
    };
  },
  'ZeroMQ broker': async () => {
    const broker = await startBroker({ topology, random: new Random(1), classify, endpoint: 'tcp://127.0.0.1:0' });
    const net = createZmqNetwork({ endpoint: broker.endpoint, topology });
    return {
      network: {
        attach: (node) => net.attach(node),
        close: () => net.close(),
      },
      control: broker.control,
      clock: new RealClock(),
      until: async (check, what) => {
        await net.ready();
        await waitFor(check, what);
      },
      ready: () => net.ready(),
      drain: undefined,
      close: async () => {
        await net.close();
        await broker.close();
      },
    };
  },
};

for (const [name, make] of Object.entries(implementations)) {
  describe(`transport compliance: ${name}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    /**
     * Attaches and waits until the network knows them: frames to a node not yet there are lost, as
     * on a real wire. quiet(from, to) proves nothing more is on its way there: the virtual clock
     * is run dry; elsewhere `from` sends an end marker behind what it sent before, and the test
     * waits for it (end markers are not recorded in `got`).
     */
    const attachAll = async (nodes: NodeId[]) => {
      const got: (ReceivedFrame & { to: NodeId })[] = [];
      const markers = new Map<NodeId, number>();
      const ts = new Map<NodeId, Transport>();
      for (const n of nodes) {
        const t = h!.network.attach(n);
        t.onFrame((r) => {
          if (isEndMarker(r.frame)) markers.set(n, (markers.get(n) ?? 0) + 1);
          else got.push({ ...r, to: n });
        });
        ts.set(n, t);
      }
      await h!.ready();
      let sent = 0;
      const quiet = async (from: NodeId, to: Destination): Promise<void> => {
        if (h!.drain) return h!.drain();
        const receivers = to === SEGMENT_BROADCAST ? topology.tnsOf(from).filter((n) => ts.has(n)) : [to];
        const expected = new Map(receivers.map((r) => [r, (markers.get(r) ?? 0) + 1]));
        ts.get(from)!.send(to, classFrame(END_MARKER, ++sent));
        await h!.until(() => receivers.every((r) => (markers.get(r) ?? 0) >= expected.get(r)!), `end marker ${from} -> ${to}`);
      };
      return { got, t: (n: NodeId) => ts.get(n)!, quiet };
    };

    it('delivers to a neighbour with the link-level sender and the send time', async () => {
      h = await make();
      const { got, t } = await attachAll(['hes', 'dc1', 'tn1.001']);
      expect(t('tn1.001').self).toBe('tn1.001');
      const before = h.clock.now();
      t('tn1.001').send('dc1', classFrame(0x11, 1));
      t('dc1').send('hes', classFrame(0x11, 2));
      await h.until(() => got.length === 2, 'two frames');
      expect(got.map((r) => [r.to, r.from, seqOf(r.frame)]).sort()).toEqual([
        ['dc1', 'tn1.001', 1],
        ['hes', 'dc1', 2],
      ]);
      for (const r of got) {
        expect(r.sentAt).toBeGreaterThanOrEqual(before);
        expect(r.sentAt).toBeLessThanOrEqual(h.clock.now());
      }
    });

    it('tells the sender once that its frame left, no later than it arrives, and a refused one too', async () => {
      h = await make();
      const { got, t } = await attachAll(['dc1', 'tn1.001']);
      const left: Array<[number, number]> = [];
      const arrived = new Map<number, number>();
      t('dc1').onFrame((r) => arrived.set(seqOf(r.frame), h!.clock.now()));
      const before = h.clock.now();
      for (let i = 1; i <= 3; i++) t('tn1.001').send('dc1', classFrame(0x11, i), undefined, (at) => left.push([i, at]));
      t('tn1.001').send('hes', classFrame(0x11, 4), undefined, (at) => left.push([4, at])); // not a neighbour
      await h.until(() => got.length === 3 && left.length === 4, 'three frames and four departures');
      expect(left.map(([i]) => i).sort()).toEqual([1, 2, 3, 4]);
      for (const [, at] of left) expect(at).toBeGreaterThanOrEqual(before);
      for (const [i, at] of left) if (i <= 3) expect(at).toBeLessThanOrEqual(arrived.get(i)!);
    });

    it('delivers a DC broadcast once to each TN of its segment and nobody else', async () => {
      h = await make();
      const { got, t, quiet } = await attachAll(['hes', 'dc1', 'dc2', 'tn1.001', 'tn1.002', 'tn1.003', 'tn2.001']);
      t('dc1').send(SEGMENT_BROADCAST, classFrame(0x13, 1));
      await h.until(() => got.length >= 3, 'broadcast');
      // End markers behind the broadcast at every node that must not get it.
      await quiet('dc1', SEGMENT_BROADCAST);
      await quiet('dc1', 'hes');
      await quiet('hes', 'dc2');
      await quiet('dc2', SEGMENT_BROADCAST);
      expect(got.map((r) => r.to).sort()).toEqual(['tn1.001', 'tn1.002', 'tn1.003']);
    });

    it('keeps the order of frames between two nodes', async () => {
      h = await make();
      const { got, t } = await attachAll(['dc1', 'tn1.001']);
      for (let i = 0; i < 300; i++) t('dc1').send('tn1.001', classFrame(0x12, i));
      await h.until(() => got.length === 300, '300 frames');
      expect(got.map((r) => seqOf(r.frame))).toEqual([...Array(300).keys()]);
    });

    it('drops frames to non-neighbours and after close without throwing', async () => {
      h = await make();
      const { got, t, quiet } = await attachAll(['hes', 'dc1', 'tn1.001', 'tn2.001']);
      expect(() => t('tn1.001').send('hes', classFrame(0x11, 1))).not.toThrow();
      expect(() => t('tn1.001').send('tn2.001', classFrame(0x11, 2))).not.toThrow();
      await t('tn1.001').close();
      expect(() => t('tn1.001').send('dc1', classFrame(0x11, 3))).not.toThrow();
      t('dc1').send('hes', classFrame(0x11, 4));
      await h.until(() => got.length === 1, 'the one good frame');
      // The refusals are the end markers of the two misaddressed frames; the third never left its sender.
      await h.until(() => h!.control.stats().rejected['not-neighbour'] === 2, 'both misaddressed frames refused');
      await quiet('dc1', 'hes');
      expect(got.map((r) => seqOf(r.frame))).toEqual([4]);
    });

    it('stops delivering to a handler once it unsubscribes', async () => {
      h = await make();
      const t1 = h.network.attach('tn1.001');
      const dc = h.network.attach('dc1');
      await h.ready();
      const first: number[] = [];
      const second: number[] = [];
      const off = t1.onFrame((r) => first.push(seqOf(r.frame)));
      t1.onFrame((r) => second.push(seqOf(r.frame)));
      dc.send('tn1.001', classFrame(0x12, 1));
      await h.until(() => second.length === 1, 'first frame');
      off();
      dc.send('tn1.001', classFrame(0x12, 2));
      await h.until(() => second.length === 2, 'second frame');
      expect(first).toEqual([1]);
    });

    it('lets a man in the middle change what the receiver gets', async () => {
      h = await make();
      const { got, t } = await attachAll(['dc1', 'tn1.001']);
      h.control.addCustomInterceptor((f, ctx) => ctx.tamper(f, classFrame(0x12, 666)), { match: { to: 'tn1.001' } });
      t('dc1').send('tn1.001', classFrame(0x12, 1));
      await h.until(() => got.length === 1, 'tampered frame');
      expect(seqOf(got[0]!.frame)).toBe(666);
    });

    it('refuses unknown and twice-attached nodes at attach', async () => {
      h = await make();
      expect(() => h!.network.attach('mallory')).toThrow(/not in the topology/);
      h.network.attach('dc1');
      expect(() => h!.network.attach('dc1')).toThrow(/already attached/);
    });
  });
}
