import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { startAttackPort, type AttackPort } from '../../channel/attack-port';
import { connectRemoteControl, type RemoteControl } from '../../bench/attack/remote-control';
import { Attacker } from '../../bench/attack/attacker';
import { cryptoBackend } from '../../nodes/crypto';
import { classFrame, seqOf } from './helpers';
import { waitFor, zmqWire } from './wire-bench';

const TOKEN = 'attack-port-test-token';
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** The broker with every node a ZeroMQ client, its attack port, and an attacker in "another process" over it. */
async function bench() {
  const wire = await zmqWire({ dcs: 2, tns: 2 });
  opened.push(wire);
  const port: AttackPort = await startAttackPort(wire.broker.control, { endpoint: 'tcp://127.0.0.1:0', token: TOKEN });
  opened.push(port);
  const errors: string[] = [];
  const control: RemoteControl = await connectRemoteControl({ endpoint: port.endpoint, token: TOKEN, onError: (m) => errors.push(m) });
  opened.push(control);
  const attacker = new Attacker({ control, crypto: cryptoBackend('node'), name: 'camp:fresh_authentic_DC' });
  return { wire, port, control, attacker, errors };
}

describe('the attack port: the broker as the attacker position of another process', () => {
  it('records what a matcher selects, and replays and injects under the attack label to any receiver', async () => {
    const { wire, attacker, errors } = await bench();
    const seen = attacker.record({ link: 'plc:dc1', class: 'automation' });
    // the tap is in place once a frame sent after it is recorded
    await waitFor(() => {
      wire.t('dc1').send('tn1.001', classFrame(0x13, 1));
      return seen.frames.length > 0;
    }, 'a recorded automation frame');
    wire.t('dc1').send('hes', classFrame(0x11, 2)); // another class on another link: not recorded
    await wire.quiet('dc1', 'hes');
    const recorded = seen.frames.length;
    expect(seen.frames.every((f) => f.link === 'plc:dc1' && f.className === 'automation')).toBe(true);
    attacker.replay(seen.frames[0]!, { from: 'dc2', to: 'tn2.002' });
    attacker.inject('dc1', 'tn1.002', classFrame(0x13, 7));
    await waitFor(() => wire.at('tn2.002').length === 1 && wire.at('tn1.002').some((r) => seqOf(r.frame) === 7), 'replay and injection');
    expect(wire.at('tn2.002')[0]).toMatchObject({ from: 'dc2', attack: 'camp:fresh_authentic_DC' });
    expect(wire.at('tn1.002').find((r) => seqOf(r.frame) === 7)?.attack).toBe('camp:fresh_authentic_DC');
    // injected frames are not recorded as node frames
    expect(seen.frames.length).toBe(recorded);
    expect(attacker.injected).toBe(2);
    expect(errors).toEqual([]);
  });

  it('runs a programmatic interceptor on frames the broker holds: drop, tamper, let through', async () => {
    const { wire, control, attacker } = await bench();
    const release = attacker.block({ link: 'plc:dc1', to: 'tn1.001' });
    const rewrite = attacker.intercept({ link: 'plc:dc1', to: 'tn1.002' }, (frame, ctx) => {
      if (seqOf(frame.bytes) % 2 === 0) return ctx.forward(frame);
      const bytes = frame.bytes.slice();
      bytes[bytes.length - 1]! ^= 0xff;
      ctx.tamper(frame, bytes);
    });
    await waitFor(() => wire.broker.control.interceptors().length === 2, 'interceptors at the broker');
    for (let i = 1; i <= 4; i++) {
      wire.t('dc1').send('tn1.001', classFrame(0x13, i));
      wire.t('dc1').send('tn1.002', classFrame(0x13, i));
    }
    await waitFor(() => wire.at('tn1.002').length === 4, 'four frames at tn1.002');
    await waitFor(() => (control.interceptors()[0]?.stats.dropped ?? 0) === 4, 'drop stats pushed to the attacker');
    expect(wire.at('tn1.001')).toEqual([]);
    const at2 = wire.at('tn1.002');
    const intact = (r: (typeof at2)[number]) => [1, 2, 3, 4].some((i) => Buffer.from(classFrame(0x13, i)).equals(r.frame));
    expect(at2.filter(intact).map((r) => seqOf(r.frame))).toEqual([2, 4]);
    expect(at2.filter((r) => !intact(r)).length).toBe(2);
    // what the attacker's interceptor handled carries its label, so refusals are attributed to it
    expect(at2.every((r) => r.attack?.startsWith('camp:fresh_authentic_DC:'))).toBe(true);
    expect(attacker.injected).toBe(2);
    release();
    rewrite();
    await waitFor(() => wire.broker.control.interceptors().length === 0, 'interceptors removed at the broker');
    wire.t('dc1').send('tn1.001', classFrame(0x13, 9));
    await waitFor(() => wire.at('tn1.001').length === 1, 'traffic flows again');
  });

  it('adds registered interceptors by spec and refuses a bad one where the call is made', async () => {
    const { wire, control } = await bench();
    control.addInterceptor({ id: 'x:drop', type: 'drop', match: { link: 'plc:dc2' } });
    expect(() => control.addInterceptor({ type: 'drop', probability: 2 } as never)).toThrow(/probability/);
    await waitFor(() => wire.broker.control.interceptor('x:drop') !== undefined, 'drop at the broker');
    wire.t('dc2').send('tn2.001', classFrame(0x13, 1));
    await waitFor(() => control.interceptor('x:drop')?.stats.dropped === 1, 'the drop counted');
    expect(control.removeInterceptor('x:drop')).toBe(true);
    await waitFor(() => wire.broker.control.interceptor('x:drop') === undefined, 'removed');
    expect(control.interceptor('x:drop')?.stats.dropped).toBe(1);
  });

  it('refuses a client without the token, and ends a session with everything it added', async () => {
    const { wire, port, control } = await bench();
    await expect(connectRemoteControl({ endpoint: port.endpoint, token: 'not-the-token-at-all', connectTimeoutMs: 5_000 })).rejects.toThrow(
      /token/,
    );
    control.addInterceptor({ id: 'y:drop', type: 'drop' });
    control.tap(() => {});
    await waitFor(() => wire.broker.control.interceptors().length === 1, 'added');
    expect(port.sessions()).toBe(1);
    await control.close();
    await waitFor(() => port.sessions() === 0 && wire.broker.control.interceptors().length === 0, 'session ended');
  });

  it('closes a session that sends nothing for idleMs, tells it why and counts it; a client that pings keeps its own', async () => {
    const wire = await zmqWire({ dcs: 1, tns: 1 });
    opened.push(wire);
    const port = await startAttackPort(wire.broker.control, { endpoint: 'tcp://127.0.0.1:0', token: TOKEN, idleMs: 400 });
    opened.push(port);
    const errors: string[] = [];
    const pinging = await connectRemoteControl({ endpoint: port.endpoint, token: TOKEN, keepaliveMs: 100, onError: (m) => errors.push(m) });
    opened.push(pinging);
    // a client that says hello, taps, and then goes quiet (crashed without bye)
    const silent = new zmq.Dealer({ linger: 0 });
    opened.push({ close: () => Promise.resolve(silent.close()) });
    silent.connect(port.endpoint);
    await silent.send(
      JSON.stringify([
        { op: 'hello', token: TOKEN, re: 1 },
        { op: 'tap', sub: 1 },
      ]),
    );
    await waitFor(() => port.sessions() === 2, 'both in session');
    let told: string | undefined;
    for await (const [body] of silent) {
      told = (JSON.parse(body!.toString('utf8')) as { ev: string; error?: string }[]).find((e) => e.ev === 'error')?.error;
      if (told) break;
    }
    expect(told).toMatch(/idle: nothing received for 400 ms; the session is closed/);
    expect(port.idleClosed()).toBe(1);
    // the pinging client, as quiet otherwise, is still in session
    expect(port.sessions()).toBe(1);
    expect(errors).toEqual([]);
  });
});
