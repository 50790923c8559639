/**
 * The operator channel (bench/runner/operator-channel.ts) between real ZeroMQ CURVE sockets on
 * loopback, without a lab: a host's side (serveOperator) with its provisioned-style key pair and
 * the operator's public key, and the operator's side (connectOperatorHost). What the broker, the
 * attacker's position, can make a host keep (a replayed CSR's certificate again and again, a flood
 * of frames its nodes sign) stays bounded and a late operator still hears all of it or is told
 * what it misses; what a host sends arrives whatever its size.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { startAttackPort } from '../../channel/attack-port';
import { exportOperatorKeys, loadHostOperatorKeys, provisionOperatorKey } from '../../bench/runner/operator-keys';
import type { HostMessage, Observed, ParentMessage } from '../../bench/runner/host-messages';
import {
  CHUNK_EVENTS,
  connectOperatorHost,
  MAX_MESSAGE_BYTES,
  serveOperator,
  type OperatorServer,
  type OperatorServerOptions,
} from '../../bench/runner/operator-channel';
import { BACKLOG_LIMITS, type BacklogLimits } from '../../bench/runner/operator-backlog';
import { freePort } from '../../bench/runner/processes';
import { gridbench, until } from '../helpers/lab';
import { zmqWire } from '../channel/wire-bench';

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

const dir = mkdtempSync(join(tmpdir(), 'gridbench-operator-channel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NODES = new Set(['hes', 'dc1', 'tn1.001', 'tn1.002']);

/** A host's keys and the operator's, as gridbench provision makes them (Z85 CURVE pairs). */
function labKeys() {
  const host = zmq.curveKeyPair();
  const operator = zmq.curveKeyPair();
  return { host, operator };
}

interface TestHost {
  readonly endpoint: string;
  readonly server: OperatorServer;
  readonly taken: ParentMessage[];
  readonly refused: { reason: string; detail: string }[];
  readonly dropped: number[];
}

async function startHost(
  keys: ReturnType<typeof labKeys>,
  endpoint?: string,
  extra: Partial<OperatorServerOptions> & { backlog?: BacklogLimits } = {},
): Promise<TestHost> {
  const at = endpoint ?? `tcp://127.0.0.1:${await freePort()}`;
  const taken: ParentMessage[] = [];
  const refused: { reason: string; detail: string }[] = [];
  const dropped: number[] = [];
  const server = await serveOperator({
    endpoint: at,
    keys: { keys: keys.host, operatorPublicKey: keys.operator.publicKey },
    nodes: NODES,
    onMessage: (m) => taken.push(m),
    onOperator: () => {},
    refuse: (reason, _from, detail) => refused.push({ reason, detail }),
    dropped: (n) => dropped.push(n),
    ...extra,
  });
  opened.push(server);
  return { endpoint: at, server, taken, refused, dropped };
}

async function connect(keys: ReturnType<typeof labKeys>, endpoint: string) {
  const heard: HostMessage[] = [];
  const logs: string[] = [];
  let gone = 0;
  const host = await connectOperatorHost({
    name: 'dc1',
    endpoint,
    keys: keys.operator,
    hostPublicKey: keys.host.publicKey,
    onMessage: (m) => heard.push(m),
    onGone: () => gone++,
    log: (line) => logs.push(line),
    timeoutMs: 10_000,
  });
  opened.push(host);
  const observed = () => heard.flatMap((m) => (m.type === 'observed' ? m.events : []));
  return { host, heard, logs, observed, gone: () => gone };
}

/**
 * A TCP path between the operator and a host that the network (the attacker's position) can cut:
 * cut() ends its connections and refuses new ones until restore().
 */
async function cuttablePath(target: string) {
  const [, host, port] = /^tcp:\/\/(.+):(\d+)$/.exec(target)!;
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = tcpConnect(Number(port), host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on('error', () => {});
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const path = {
    endpoint: `tcp://127.0.0.1:${(server.address() as { port: number }).port}`,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        path.cut();
        server.close(() => resolve());
      }),
  };
  opened.push(path);
  return path;
}

/**
 * gridbench campaign (lean, `seconds` long, default 8, no campaign file) against one host played by the test: dc1's
 * operator channel through a path the test can cut, a batch every 250 ms saying it sent
 * everything, and `onHello` for what the host does when the operator says hello.
 */
async function campaignAgainstHost(options: { onHello: (server: OperatorServer) => void; seconds?: number }) {
  const wire = await zmqWire({ dcs: 1, tns: 2 });
  opened.push(wire);
  const token = 'operator-channel-test-token';
  const attack = await startAttackPort(wire.broker.control, { endpoint: 'tcp://127.0.0.1:0', token });
  opened.push(attack);
  const state = mkdtempSync(join(dir, 'state-'));
  const hostDir = join(state, 'host-dc1');
  mkdirSync(hostDir, { recursive: true });
  provisionOperatorKey(state);
  exportOperatorKeys(state, hostDir, 'dc1');
  const hostKeys = loadHostOperatorKeys(hostDir);
  const lab: TestHost = await startHost(
    { host: hostKeys.keys, operator: { publicKey: hostKeys.operatorPublicKey, secretKey: '' } },
    undefined,
    {
      history: { bytes: 0, ms: 30_000 },
      onOperator: () => options.onHello(lab.server),
    },
  );
  const batches = setInterval(() => lab.server.send({ type: 'observed', events: [], upTo: Date.now() }), 250);
  opened.push({ close: async () => clearInterval(batches) });
  const path = await cuttablePath(lab.endpoint);
  const scenario = join(state, 'campaign.yaml');
  writeFileSync(
    scenario,
    ['name: gap', 'seed: 4', 'modes: [lean]', `duration: ${options.seconds ?? 8}s`, 'topology: { dcs: 1, tnsPerDc: 2 }'].join('\n'),
  );
  const args = ['campaign', '--scenario', scenario, '--attack', attack.endpoint, '--mode', 'lean', '--state', state];
  const campaign = gridbench([...args, '--host', `dc1=${path.endpoint}`], { GRIDBENCH_ATTACK_TOKEN: token });
  return { lab, path, campaign };
}

/** The verdict gridbench campaign prints as its last line. */
const verdictOf = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as { violations: unknown[]; incomplete: string[] };

const replaced = (node: string): Observed => ({ at: Date.now(), kind: 'replaced', node });
const nodesOf = (events: readonly Observed[]) => events.map((e) => (e.kind === 'replaced' ? e.node : e.kind));

/** A host whose channel to the operator runs over a path the test cuts, cut once its first event is in. */
async function cutAfterFirstEvent(extra: Parameters<typeof startHost>[2] = {}) {
  const keys = labKeys();
  const lab = await startHost(keys, undefined, extra);
  const path = await cuttablePath(lab.endpoint);
  const operator = await connect(keys, path.endpoint);
  lab.server.send({ type: 'observed', events: [replaced('tn1.001')] });
  await until(() => operator.observed().length === 1, 'the first event', 10_000);
  path.cut();
  await until(() => operator.gone() === 1, 'the operator noticing the cut', 10_000);
  return { lab, path, operator };
}

const sent = (i: number, at = Date.now()): Observed => ({ at, kind: 'sent', sender: 'dc1', signed: Buffer.from(`frame ${i}`) });
const issued = (certificate: Uint8Array, at = Date.now()): Observed => ({ at, kind: 'issued', certificate });

describe('the operator channel between real ZeroMQ CURVE sockets', () => {
  it('keeps one backlog entry per distinct certificate however often the HES issues it again (a replayed CSR)', async () => {
    const keys = labKeys();
    const lab = await startHost(keys);
    const dcCert = Buffer.from('the certificate the HES issues dc1 for its one CSR');
    // the broker replays dc1's captured CSR 5,000 times: the lean HES answers each with the same certificate
    for (let i = 0; i < 5_000; i++) lab.server.send({ type: 'observed', events: [issued(dcCert)] });
    lab.server.send({ type: 'observed', events: [issued(Buffer.from('tn1.001 certificate'))] });
    const operator = await connect(keys, lab.endpoint);
    await until(() => operator.observed().length >= 2, 'the backlog', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const certificates = operator.observed().filter((e) => e.kind === 'issued');
    expect(certificates.map((e) => Buffer.from((e as Extract<Observed, { kind: 'issued' }>).certificate).toString())).toEqual([
      'the certificate the HES issues dc1 for its one CSR',
      'tn1.001 certificate',
    ]);
    expect(lab.dropped).toEqual([]);
  });

  it('bounds the 30 s backlog by count and bytes: what it drops is counted, the newest is kept', async () => {
    const keys = labKeys();
    const lab = await startHost(keys, undefined, { backlog: { events: 1_000, bytes: 1024 * 1024, certificates: 10 } });
    // a flood of frames the host's nodes signed (the broker feeding them requests): 3,000 events
    for (let b = 0; b < 3; b++) lab.server.send({ type: 'observed', events: Array.from({ length: 1_000 }, (_, i) => sent(b * 1_000 + i)) });
    expect(lab.dropped.reduce((a, n) => a + n, 0)).toBe(2_000);
    // and by bytes: 8 frames of 200 KiB where 1 MiB is the bound
    for (let i = 0; i < 8; i++)
      lab.server.send({ type: 'observed', events: [{ at: Date.now(), kind: 'sent', sender: 'hes', signed: Buffer.alloc(200 * 1024, i) }] });
    const operator = await connect(keys, lab.endpoint);
    await until(() => operator.observed().length > 0, 'the backlog', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const kept = operator.observed();
    const big = kept.filter((e) => e.kind === 'sent' && e.sender === 'hes');
    expect(big.length).toBeLessThanOrEqual(5);
    const last = big.at(-1);
    expect(last?.kind === 'sent' && Buffer.from(last.signed).equals(Buffer.alloc(200 * 1024, 7))).toBe(true);
    expect(kept.length).toBeLessThanOrEqual(1_000);
    // the oldest went first
    expect(kept.some((e) => e.kind === 'sent' && e.signed.toString() === 'frame 0')).toBe(false);
    expect(lab.dropped.reduce((a, n) => a + n, 0)).toBe(3_000 + 8 - kept.length);
    expect(BACKLOG_LIMITS.events).toBeGreaterThan(125_000);
  });

  it('sends a backlog of 150,000 events, and a batch as large, in chunks the operator receives whole', async () => {
    const keys = labKeys();
    const lab = await startHost(keys);
    const many = Array.from({ length: 150_000 }, (_, i) => sent(i));
    lab.server.send({ type: 'observed', events: many });
    const operator = await connect(keys, lab.endpoint);
    await until(() => operator.observed().length >= 150_000, 'the backlog of 150,000 events', 20_000);
    // live, as large: the host's nodes' batch goes as it came, in chunks
    const upTo = Date.now();
    lab.server.send({ type: 'observed', events: many.map((e, i) => ({ ...e, signed: Buffer.from(`live ${i}`) })), upTo });
    await until(() => operator.observed().length >= 300_000, 'the live batch of 150,000 events', 20_000);
    const batches = operator.heard.filter((m) => m.type === 'observed');
    expect(batches.every((m) => m.type === 'observed' && m.events.length <= CHUNK_EVENTS)).toBe(true);
    // "every event up to then is sent" comes with the batch's last chunk only
    expect(batches.map((m) => m.type === 'observed' && m.upTo).filter((u) => u !== undefined)).toEqual([upTo]);
    expect(batches.at(-1)).toMatchObject({ upTo });
    const frames = operator.observed().map((e) => (e.kind === 'sent' ? e.signed.toString() : ''));
    expect(frames[149_999]).toBe('frame 149999');
    expect(frames.at(-1)).toBe('live 149999');
    // kept for a later operator: the newest BACKLOG_LIMITS.events, the rest counted
    expect(lab.dropped).toEqual([300_000 - BACKLOG_LIMITS.events]);
  });

  it("goes on after a message whose handling threw, on the host's side and on the operator's", async () => {
    const keys = labKeys();
    const lab = await startHost(keys, undefined, {
      onMessage: (m) => {
        if (m.type === 'op' && m.id === 1) throw new Error('the mode broke on this one');
        lab.taken.push(m);
      },
    });
    const operator = await connect(keys, lab.endpoint);
    operator.host.send({ type: 'op', id: 1, op: 'automation', dc: 'dc1', relay: 'on' });
    operator.host.send({ type: 'op', id: 2, op: 'automation', dc: 'dc1', relay: 'off' });
    await until(() => lab.taken.length === 1, 'the genuine operation after the one that threw', 10_000);
    expect(lab.taken).toMatchObject([{ type: 'op', id: 2 }]);
    expect(lab.refused).toMatchObject([{ reason: 'failed', detail: 'handling it threw: the mode broke on this one' }]);

    // the operator's side: a well-formed host's message whose handling throws in the relay
    const heard: HostMessage[] = [];
    const logs: string[] = [];
    const strict = await connectOperatorHost({
      name: 'dc1',
      endpoint: lab.endpoint,
      keys: keys.operator,
      hostPublicKey: keys.host.publicKey,
      onMessage: (m) => {
        if (m.type === 'keys') throw new Error('the relay broke on this one');
        heard.push(m);
      },
      onGone: () => {},
      log: (line) => logs.push(line),
    });
    opened.push(strict);
    lab.server.send({ type: 'keys', keys: {} });
    lab.server.send({ type: 'op-done', id: 2, mine: true });
    await until(() => heard.some((m) => m.type === 'op-done'), "the host's message after the one that threw", 10_000);
    expect(logs.some((l) => l.startsWith('dc1: a message from the host could not be taken:'))).toBe(true);
  });

  it("refuses and counts a host's messages of another shape, naming the field, and takes its next genuine one", async () => {
    const keys = labKeys();
    const lab = await startHost(keys);
    const operator = await connect(keys, lab.endpoint);
    // what a compromised host (it holds its own channel key) can send: numbered as its genuine messages are
    const forged = [
      { type: 'observed', events: [{ at: 'soon', kind: 'replaced', node: 'tn1.001' }] },
      { type: 'observed', events: [replaced('tn1.001'), { at: Date.now(), kind: 'accepted', acceptance: { node: 'dc1' } }] },
      { type: 'keys', keys: { dc1: { sign: { secretKey: 'not bytes', publicKey: new Uint8Array(33) }, enc: {} } } },
      { type: 'register', id: 3, node: 'x'.repeat(100_000), credential: {} },
      { type: 'op-done', id: 4 },
      { type: 'samples', samples: [{ measurement: 'frame_rejected', tags: {}, fields: { count: {} }, time: 0 }] },
      { type: 'bootstrapped', report: {} },
    ];
    for (const m of forged) lab.server.send(m as unknown as HostMessage);
    lab.server.send({ type: 'observed', events: [replaced('tn1.002')] });
    lab.server.send({ type: 'op-done', id: 9, mine: true });
    await until(() => operator.heard.some((m) => m.type === 'op-done'), "the host's genuine message after the forged ones", 10_000);
    // only the genuine ones reach the relay, whole; each forged one is counted and named, none lost in the numbering
    expect(operator.observed()).toMatchObject([{ kind: 'replaced', node: 'tn1.002' }]);
    expect(operator.heard.filter((m) => m.type !== 'observed')).toEqual([{ type: 'op-done', id: 9, mine: true }]);
    expect(operator.host.refused()).toBe(forged.length);
    const refusals = operator.host.incomplete();
    expect(refusals).toHaveLength(forged.length);
    for (const [i, field] of [
      'observed: events[0].at: expected a number',
      'observed: events[1].acceptance.cls: expected a message class',
      'keys: keys.dc1.sign.secretKey: expected bytes',
      'register: node: expected a name of 1 to 256 characters',
      'op-done: mine: expected true or false',
      'samples: samples[0].fields.count: expected a number, a boolean or a string',
      'type bootstrapped: not a message the operator takes',
    ].entries())
      expect(refusals[i]).toContain(`dc1: a message from the host was refused (${field}`);
    expect(operator.host.alive()).toBe(true);
  });

  it('never runs an operation queued for a host that was down, once it is back', async () => {
    const keys = labKeys();
    const first = await startHost(keys);
    const operator = await connect(keys, first.endpoint);
    // the host goes down (its container stops); the operator sends before and after it notices
    await first.server.close();
    operator.host.send({ type: 'op', id: 1, op: 'automation', dc: 'dc1', relay: 'on' });
    await until(() => operator.gone() === 1, 'the operator noticing the host is gone', 10_000);
    operator.host.send({ type: 'op', id: 2, op: 'automation', dc: 'dc1', relay: 'on' });
    // the relay settled both without the host; the host comes back on the same endpoint
    const again = await startHost(keys, first.endpoint);
    await until(() => operator.host.alive(), 'the operator channel up again', 15_000);
    operator.host.send({ type: 'op', id: 3, op: 'automation', dc: 'dc1', relay: 'off' });
    await until(() => again.taken.length > 0, 'the operation sent once the host is back', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(again.taken.map((m) => m.type === 'op' && m.id)).toEqual([3]);
  });

  it("gets a host's messages sent while its channel was cut again once it is back, in order", async () => {
    const { lab, path, operator } = await cutAfterFirstEvent();
    // what the host's nodes accept meanwhile goes to the operator's old connection, which is gone
    lab.server.send({ type: 'observed', events: [replaced('tn1.002')] });
    lab.server.send({ type: 'op-done', id: 7, mine: false });
    await new Promise((r) => setTimeout(r, 300));
    path.restore();
    await until(() => operator.observed().length === 2, 'the events sent while the path was cut', 15_000);
    lab.server.send({ type: 'observed', events: [replaced('dc1')] });
    await until(() => operator.observed().length === 3, 'the next event', 10_000);
    expect(nodesOf(operator.observed())).toEqual(['tn1.001', 'tn1.002', 'dc1']);
    expect(operator.heard.filter((m) => m.type === 'op-done')).toEqual([{ type: 'op-done', id: 7, mine: false }]);
    expect(operator.host.incomplete()).toEqual([]);
  });

  it('says the verdict is incomplete, naming the host and the lost messages, when the host no longer keeps them', async () => {
    const { lab, path, operator } = await cutAfterFirstEvent({ history: { bytes: 0, ms: 30_000 } });
    lab.server.send({ type: 'observed', events: [replaced('tn1.002')] });
    lab.server.send({ type: 'observed', events: [replaced('dc1')] });
    path.restore();
    await until(() => operator.host.alive(), 'the channel up again', 15_000);
    // messages 0 and 1 went (the backlog's chunk, tn1.001), 2 and 3 were lost
    expect(operator.host.incomplete()).toEqual([
      'dc1: its messages 2 to 3 were lost while the operator channel was down (the host no longer kept them)',
    ]);
  });

  it("makes gridbench campaign exit 1 with its verdict incomplete, naming the host, when a host's messages were lost", async () => {
    let hellos = 0;
    const { path, campaign } = await campaignAgainstHost({
      // as a real host: its nodes' keys after each hello (none here), which the campaign waits for before it starts
      onHello: (server) => {
        hellos++;
        server.send({ type: 'keys', keys: {} });
      },
    });
    await until(() => hellos === 1, 'the campaign saying hello', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    path.cut();
    await new Promise((r) => setTimeout(r, 1_000));
    path.restore();
    const { code, out } = await campaign.ended;
    expect(hellos).toBe(2);
    const result = verdictOf(out);
    expect(result.violations).toEqual([]);
    expect(result.incomplete).toHaveLength(1);
    expect(result.incomplete[0]).toMatch(/^dc1: its messages \d+ to \d+ were lost while the operator channel was down/);
    expect(out).toContain('gridbench campaign: the verdict is incomplete: dc1: its messages');
    expect(code).toBe(1);
  }, 60_000);

  it("starts gridbench campaign's campaigns only once a host's keys came, late after its hello", async () => {
    let keysSentAt = 0;
    const { campaign } = await campaignAgainstHost({
      seconds: 4,
      // a host under load: its keys 2 s after the hello
      onHello: (server) =>
        void setTimeout(() => {
          keysSentAt = Date.now();
          server.send({ type: 'keys', keys: {} });
        }, 2_000),
    });
    const { code, out } = await campaign.ended;
    const endedAt = Date.now();
    expect(keysSentAt).toBeGreaterThan(0);
    // the campaigns ran their full 4 s after the keys came (without the wait they end about 2 s after)
    expect(endedAt - keysSentAt, out).toBeGreaterThanOrEqual(4_000);
    expect(verdictOf(out).incomplete).toEqual([]);
    expect(code, out).toBe(0);
  }, 60_000);

  it('says the verdict is incomplete, naming the host, when its keys never came', async () => {
    const { campaign } = await campaignAgainstHost({ onHello: () => {}, seconds: 1 });
    const { code, out } = await campaign.ended;
    expect(verdictOf(out).incomplete).toEqual(["dc1: its nodes' keys did not come within 10 s of its hello; campaigns ran without them"]);
    expect(code).toBe(1);
  }, 60_000);

  it('drops a message above its largest with its connection, unread; the operator comes back and is served', async () => {
    const keys = labKeys();
    const lab = await startHost(keys);
    const operator = await connect(keys, lab.endpoint);
    operator.host.send({ type: 'op', id: 1, op: 'confidential', tn: 'tn1.001', payload: Buffer.alloc(MAX_MESSAGE_BYTES + 1024) });
    await until(() => operator.gone() === 1, 'the connection dropped', 10_000);
    await until(() => operator.host.alive(), 'the operator back', 15_000);
    operator.host.send({ type: 'op', id: 2, op: 'confidential', tn: 'tn1.001', payload: Buffer.from('genuine') });
    await until(() => lab.taken.length > 0, 'the genuine operation', 10_000);
    expect(lab.taken.map((m) => m.type === 'op' && m.id)).toEqual([2]);
  });
});
