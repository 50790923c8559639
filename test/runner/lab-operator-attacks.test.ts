/**
 * The operator channel of a lab's host under attack (bench/runner/operator-channel.ts): only the
 * operator's key from gridbench provision orders a node operation. A client without CURVE, one
 * with the broker's keys (the attacker's position holds them) and one with a node's keys (a
 * compromised host's) are refused at the handshake and counted; the genuine operator's malformed
 * messages are refused and counted; an operation forged into the wire through the broker reaches
 * a node as a frame, which it refuses. The host keeps running and serves the genuine operator.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { connectRemoteControl } from '../../bench/attack/remote-control';
import type { HostMessage } from '../../bench/runner/host-messages';
import { connectOperatorHost } from '../../bench/runner/operator-channel';
import { loadOperatorKeys } from '../../bench/runner/operator-keys';
import type { CurveKeys } from '../../channel/broker-auth';
import { startLab, until } from '../helpers/lab';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-lab-operator-attacks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FORGED = serialize({ type: 'op', id: 1, op: 'automation', dc: 'dc1', relay: 'on' });
const keysIn = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CurveKeys;

/** Connects a DEALER to `endpoint` with `options`, sends every message, and closes it after `ms`. */
async function sendAs(endpoint: string, options: ConstructorParameters<typeof zmq.Dealer>[0], messages: Uint8Array[], ms = 1_500) {
  const socket = new zmq.Dealer({ linger: 0, sendTimeout: ms, ...options });
  socket.connect(endpoint);
  try {
    for (const m of messages) await socket.send(m);
  } catch {
    // a refused handshake never attaches the pipe: the send times out
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.close();
}

describe("a lab host's operator channel", () => {
  it('refuses and counts forged and malformed operator messages; the node is unaffected and serves the operator', async () => {
    const scenario = join(dir, 'lab.yaml');
    writeFileSync(
      scenario,
      [
        'name: lab',
        'seed: 2',
        'modes: [lean]',
        'duration: 25s',
        'topology: { dcs: 1, tnsPerDc: 2 }',
        'channel: { wan: { preset: lan }, plc: { preset: lan } }',
      ].join('\n'),
    );
    const lab = await startLab(dir, scenario, 'lean', ['hes', 'dc1', 'tns:dc1']);
    const host = lab.hosts.get('dc1')!;
    const endpoint = lab.operators.get('dc1')!;
    const refusals = (reason: string) =>
      host
        .output()
        .split('\n')
        .filter((l) => l.includes(`operator channel: refused (${reason}:`)).length;
    try {
      const { keys: operatorKeys, hostPublicKey } = loadOperatorKeys(lab.state, 'dc1');
      // no CURVE at all
      await sendAs(endpoint, {}, [FORGED]);
      await until(() => refusals('unauthenticated') >= 1, 'the plain client refused', 10_000);
      // the broker's own keys, a TN's from a compromised host, and a compromised host's own operator
      // channel key pair (provisioning's operator-host key): keys the operator channel does not admit
      for (const keys of [
        keysIn(join(lab.hostState('channel'), 'channel', 'broker.key.json')),
        keysIn(join(lab.hostState('tns:dc1'), 'channel', 'nodes', 'tn1.001.key.json')),
        keysIn(join(lab.hostState('tns:dc1'), 'channel', 'operator-host.key.json')),
        keysIn(join(lab.hostState('dc1'), 'channel', 'operator-host.key.json')),
      ]) {
        const before = refusals('unauthenticated');
        await sendAs(endpoint, { curveServerKey: hostPublicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey }, [FORGED]);
        await until(() => refusals('unauthenticated') > before, 'a client with unknown keys refused', 10_000);
      }
      // the operator's keys, and messages the host does not take
      const operator = { curveServerKey: hostPublicKey, curvePublicKey: operatorKeys.publicKey, curveSecretKey: operatorKeys.secretKey };
      await sendAs(endpoint, operator, [
        // the operator says hello first on each connection (the host runs nothing before it)
        serialize({ type: 'hello' }),
        Buffer.from('not a message'),
        serialize({ type: 'op', id: 2, op: 'automation', dc: 'dc9', relay: 'on' }),
        serialize({ type: 'op', id: 3, op: 'selfDestruct' }),
        serialize({ type: 'op', id: 4, op: 'confidential', tn: 'tn1.001', payload: 'not bytes' }),
        serialize({ type: 'stop' }),
      ]);
      await until(() => refusals('malformed') === 4 && refusals('not-offered') === 1, 'the malformed messages refused', 10_000);
      expect(host.output()).toContain('op: op: expected one of automation');
      expect(host.output()).toContain('op: dc: expected a node of the scenario');
      expect(host.output()).toContain('op: payload: expected bytes');

      // through the broker (the attacker's position): an operation is only a frame on the wire, which the node refuses
      const control = await connectRemoteControl({ endpoint: lab.attack, token: lab.token });
      control.inject({ from: 'hes', to: 'dc1', bytes: FORGED, attack: 'operator-forgery' });
      control.inject({ from: 'dc1', to: 'tn1.001', bytes: FORGED, attack: 'operator-forgery' });
      await control.close();

      // the node goes on: the genuine operator's automation runs on dc1
      const done: HostMessage[] = [];
      const genuine = await connectOperatorHost({
        name: 'dc1',
        endpoint,
        keys: operatorKeys,
        hostPublicKey,
        onMessage: (m) => done.push(m),
        onGone: () => {},
        log: () => {},
      });
      genuine.send({ type: 'op', id: 9, op: 'automation', dc: 'dc1', relay: 'on' });
      await until(() => done.some((m) => m.type === 'op-done'), "the genuine operation's end", 10_000);
      await genuine.close();
      expect(done.find((m) => m.type === 'op-done')).toMatchObject({ id: 9, mine: true, value: { addressed: 2 } });

      // the hosts end their run on their own, and wrote what they refused
      const ends = await Promise.all([...lab.hosts.values()].map((h) => h.ended));
      expect(ends.map((e) => e.code)).toEqual([0, 0, 0]);
    } finally {
      await lab.stop();
    }
    const metrics = (dirName: string) => readFileSync(join(dir, 'results', 'lab-lean', dirName, 'metrics.lp'), 'utf8').split('\n');
    const dc1 = metrics('dc1');
    const counted = (reason: string) => dc1.filter((l) => l.startsWith('operator_rejected,') && l.includes(`reason=${reason}`)).length;
    expect(counted('unauthenticated')).toBeGreaterThanOrEqual(5);
    expect(counted('malformed')).toBe(4);
    expect(counted('not-offered')).toBe(1);
    // one automation command on dc1's segment: the genuine operator's, none of the forged ones
    expect(dc1.filter((l) => l.startsWith('automation_command,')).length).toBe(1);
    // the frames forged through the broker were refused by the nodes, attributed to the attack
    const forged = (lines: string[]) =>
      lines.filter((l) => l.startsWith('frame_rejected,') && l.includes('attack=operator-forgery')).length;
    expect(forged(dc1)).toBeGreaterThanOrEqual(1);
    expect(forged(metrics('tns-dc1'))).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
