import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../core/transport';
import {
  clientCurve,
  exportChannelKeys,
  hasChannelKeys,
  helloProof,
  loadBrokerAuth,
  loadNodeAuth,
  provisionChannelKeys,
  type NodeAuth,
} from '../../channel/broker-auth';
import { encodeFrames, MSG } from '../../channel/envelope';
import { connectTransport } from '../../channel/zmq-transport';
import { classFrame, seqOf } from './helpers';
import { benchPerTest, waitFor, zmqWire } from './wire-bench';

const startBench = benchPerTest(zmqWire);

/** A client on the wire that says it is `as`: it speaks the envelope format, with whatever keys it has. */
function rogue(endpoint: string, as: string, keys?: NodeAuth) {
  // A refused handshake leaves the socket without a connection, where a send would wait for one
  // for ever: the rogue's sends give up instead (whether one left is not what the tests judge).
  const socket = new zmq.Dealer({ routingId: as, linger: 0, sendTimeout: 1000, ...(keys ? clientCurve(keys) : {}) });
  const send = (msg: Buffer) => socket.send(msg).catch(() => undefined);
  socket.connect(endpoint);
  const heard: Buffer[] = [];
  const listening = (async () => {
    try {
      for await (const [msg] of socket) if (msg) heard.push(msg);
    } catch {
      // closed
    }
  })();
  return {
    heard,
    /** Frames it received (FRAMES envelopes), as opposed to the broker's control answers. */
    frames: () => heard.filter((m) => m[0] === MSG.FRAMES),
    send,
    frame: (to: string, seq: number) => send(encodeFrames([{ peer: to, sentAt: Date.now(), bytes: classFrame(0x11, seq) }])),
    async close() {
      socket.close();
      await listening;
    },
  };
}

describe('broker with node authentication against a rogue client', () => {
  it('gives a rogue without keys nothing as `hes`, takes nothing from it, and the real HES keeps working', async () => {
    const bench = await startBench({ auth: true });
    const mallory = rogue(bench.broker.endpoint, 'hes');
    try {
      await mallory.send(Buffer.of(MSG.HELLO));
      await mallory.frame('dc1', 666);
      // The CURVE handshake fails: counted as unauthenticated, no routing id taken.
      await waitFor(() => (bench.control.stats().rejected.unauthenticated ?? 0) >= 1, 'the refused handshake counted');
      bench.t('dc1').send('hes', classFrame(0x11, 1));
      bench.t('hes').send('dc1', classFrame(0x10, 2));
      await waitFor(() => bench.received.length === 2, 'the genuine frames');
      expect(bench.at('hes').map((r) => [r.from, seqOf(r.frame)])).toEqual([['dc1', 1]]);
      expect(bench.at('dc1').map((r) => [r.from, seqOf(r.frame)])).toEqual([['hes', 2]]);
      expect(mallory.heard).toEqual([]);
    } finally {
      await mallory.close();
    }
  });

  it('refuses a CURVE client whose key was not provisioned', async () => {
    const bench = await startBench({ auth: true, skip: ['hes'] });
    const stranger = zmq.curveKeyPair();
    const own = loadNodeAuth(bench.stateDir!, 'dc1');
    const keys: NodeAuth = { keys: stranger, brokerPublicKey: own.brokerPublicKey };
    await expect(connectTransport({ endpoint: bench.broker.endpoint, node: 'hes', auth: keys, connectTimeoutMs: 1500 })).rejects.toThrow(
      TransportError,
    );
    expect(bench.control.stats().rejected.unauthenticated).toBeGreaterThanOrEqual(1);
    expect(bench.broker.connected()).not.toContain('hes');
  });

  it("refuses a node's provisioned key claiming another routing id: it gets nothing and cannot send as `hes`", async () => {
    const bench = await startBench({ auth: true, skip: ['hes'] });
    // Mallory holds tn1.002's keys (a compromised TN) and connects as the HES, which is away.
    const stolen = loadNodeAuth(bench.stateDir!, 'tn1.002');
    await expect(connectTransport({ endpoint: bench.broker.endpoint, node: 'hes', auth: stolen, connectTimeoutMs: 5000 })).rejects.toThrow(
      /not proven/,
    );
    const mallory = rogue(bench.broker.endpoint, 'hes', stolen);
    try {
      // A HELLO with the proof tn1.002 can make is no proof for `hes`.
      await mallory.send(Buffer.concat([Buffer.of(MSG.HELLO), helloProof('tn1.002', stolen)]));
      await waitFor(() => mallory.heard.some((m) => m[0] === MSG.REFUSED), 'the refusal');
      await mallory.frame('dc1', 666);
      bench.t('dc1').send('hes', classFrame(0x11, 1));
      await waitFor(() => (bench.control.stats().rejected['not-registered'] ?? 0) >= 1, 'the frame for the absent HES counted');
      await waitFor(() => (bench.control.stats().rejected.unauthenticated ?? 0) >= 3, "the rogue's frame counted");
      expect(mallory.frames()).toEqual([]);
      expect(bench.at('dc1')).toEqual([]);
      expect(bench.broker.connected()).not.toContain('hes');
    } finally {
      await mallory.close();
    }
    // The genuine HES, with its own keys, comes and works.
    const hes = await connectTransport({ endpoint: bench.broker.endpoint, node: 'hes', auth: loadNodeAuth(bench.stateDir!, 'hes') });
    try {
      const got: number[] = [];
      hes.onFrame((r) => got.push(seqOf(r.frame)));
      bench.t('dc1').send('hes', classFrame(0x11, 7));
      hes.send('dc1', classFrame(0x10, 8));
      await waitFor(() => got.length === 1 && bench.at('dc1').length === 1, 'frames both ways');
      expect(got).toEqual([7]);
      expect(bench.at('dc1').map((r) => [r.from, seqOf(r.frame)])).toEqual([['hes', 8]]);
    } finally {
      await hes.close();
    }
  });
});

describe('channel keys from provisioning', () => {
  it("hands a host only its own nodes' secrets and the broker's host only the broker's", () => {
    const root = mkdtempSync(join(tmpdir(), 'gridbench-keys-'));
    try {
      const state = join(root, 'state');
      provisionChannelKeys(state, ['hes', 'dc1', 'tn1.001']);
      const before = loadBrokerAuth(state);
      provisionChannelKeys(state, ['hes', 'dc1', 'tn1.001', 'tn1.002']);
      // provisioning again keeps the keys it made and adds the new node's
      expect(loadBrokerAuth(state).keys).toEqual(before.keys);
      expect([...loadBrokerAuth(state).clients.keys()]).toEqual(['hes', 'dc1', 'tn1.001', 'tn1.002']);
      expect(statSync(join(state, 'channel', 'broker.key.json')).mode & 0o777).toBe(0o600);
      exportChannelKeys(state, join(root, 'tns'), ['tn1.001', 'tn1.002']);
      exportChannelKeys(state, join(root, 'broker'), [], true);
      expect(readdirSync(join(root, 'tns', 'channel')).sort()).toEqual(['broker.pub', 'nodes']);
      expect(readdirSync(join(root, 'tns', 'channel', 'nodes')).sort()).toEqual(['tn1.001.key.json', 'tn1.002.key.json']);
      expect(loadNodeAuth(join(root, 'tns'), 'tn1.001').brokerPublicKey).toBe(before.keys.publicKey);
      expect(() => loadNodeAuth(join(root, 'tns'), 'hes')).toThrow(/hes\.key\.json/);
      expect(readdirSync(join(root, 'broker', 'channel', 'nodes'))).toEqual([]);
      expect(loadBrokerAuth(join(root, 'broker')).clients.get('dc1')).toBe(before.clients.get('dc1'));
      expect(hasChannelKeys(join(root, 'nowhere'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
