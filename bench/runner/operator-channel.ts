/**
 * The operator channel of a lab: `gridbench campaign` (the operator, holding the provisioned
 * roots) orders the node operations a campaign asks for from the lab's `gridbench node` hosts and
 * hears back what their nodes told the goal oracle, their keys and the operations' ends, as a
 * --processes parent does over IPC (host-messages.ts: the same ParentMessage and HostMessage).
 *
 * Each host binds one ZeroMQ ROUTER (gridbench node --operator); the operator connects a DEALER to
 * each. Both ends are CURVE with provisioned keys (operator-keys.ts), as nodes prove themselves to
 * the broker (channel/broker-auth.ts): the host's ZAP handler admits only the operator's public key,
 * and the operator knows each host's public key, so no third party can play either end. A host's
 * own key is in its container, though: a compromised host speaks here as itself, and what it says
 * is taken as its word about its own nodes only (campaign-relay.ts grants its issue and register
 * only for its own nodes' pending replacements). The broker, the attacker's position, holds neither
 * key and sits on no path of this channel: it cannot order an operation. A client that fails the
 * handshake is refused and counted (`unauthenticated`); a message that is not one the host takes is refused and counted
 * (operator-messages.ts); neither reaches the mode. A host's message to the operator is checked field
 * by field as well (hostMessage): one of another shape is refused, counted and named in the verdict's
 * incomplete, never handed to the relay. Messages are v8-serialized, as the IPC channel's
 * structured clone, so bytes and maps cross as they do under --processes.
 */
import { serialize } from 'node:v8';
import * as zmq from 'zeromq';
import { startZap, type CurveKeys } from '../../channel/broker-auth';
import type { NodeId } from '../../core/transport';
import type { HostMessage, ParentMessage } from './host-messages';
import type { HostOperatorKeys } from './operator-keys';
import { decodeMessage, HELLO, hostMessage, parentMessage } from './operator-messages';
import type { RelayHost } from './campaign-relay';
import { OperatorBacklog, type BacklogLimits } from './operator-backlog';
import { OperatorHistory, type HistoryLimits } from './operator-history';

/**
 * Events per `observed` message: a backlog or a batch of hundreds of thousands of events goes as
 * several messages, each one a few MiB at most, each appended by its receiver one event at a time.
 */
export const CHUNK_EVENTS = 10_000;

/** An `observed` message as messages of CHUNK_EVENTS events; its upTo (once all of them are sent) on the last. */
function* chunks(m: Extract<HostMessage, { type: 'observed' }>): Generator<HostMessage> {
  const { events } = m;
  for (let i = 0; i + CHUNK_EVENTS < events.length; i += CHUNK_EVENTS)
    yield { type: 'observed', events: events.slice(i, i + CHUNK_EVENTS) };
  const last = events.length <= CHUNK_EVENTS ? events : events.slice(Math.floor((events.length - 1) / CHUNK_EVENTS) * CHUNK_EVENTS);
  yield { ...m, events: last };
}

/** The operator channel's largest message (a firmware rollout's image is the largest) and its handshake's time limit. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const HANDSHAKE_MS = 10_000;

/** How long an operation waits for a connection to its host before it is dropped (the host is down). */
const SEND_TIMEOUT_MS = 2_000;

/**
 * A socket's sends one at a time, in call order (a zeromq.js socket takes one send at a time). A
 * send that fails (no connection within its timeout, the socket closed under it) is dropped, and
 * said to `failed`; the next ones are still tried (a hello behind a dropped operation must go).
 */
function inOrder<T>(send: (item: T) => Promise<void>, failed: (err: unknown) => void = () => {}): (item: T) => void {
  const queue: T[] = [];
  let sending = false;
  const pump = async () => {
    sending = true;
    while (queue.length)
      try {
        await send(queue.shift()!);
      } catch (err) {
        failed(err);
      }
    sending = false;
  };
  return (item) => {
    queue.push(item);
    if (!sending) void pump();
  };
}

export interface OperatorServerOptions {
  /** Where the host takes the operator's orders, e.g. tcp://0.0.0.0:7000. */
  readonly endpoint: string;
  readonly keys: HostOperatorKeys;
  /** The scenario's nodes: an operation naming another is refused. */
  readonly nodes: ReadonlySet<NodeId>;
  readonly onMessage: (m: ParentMessage) => void;
  /** An operator said hello (after it was sent the backlog): tell it what it needs first (the nodes' keys). */
  readonly onOperator: () => void;
  /** A refused client or message, by operator_rejected reason, with who and why. */
  readonly refuse: (reason: string, from: string, detail: string) => void;
  /** Events the backlog for a later operator dropped beyond its bounds (operator-backlog.ts). */
  readonly dropped?: (count: number) => void;
  /** The backlog's bounds (default BACKLOG_LIMITS). */
  readonly backlog?: BacklogLimits;
  /** What is kept to be sent again after a reconnection (default HISTORY_LIMITS). */
  readonly history?: HistoryLimits;
}

export interface OperatorServer {
  /** To the operator that said hello last; kept for a later one where the backlog says. */
  send(m: HostMessage): void;
  close(): Promise<void>;
}

/** A host's side: binds, admits the operator's key only, takes its messages. */
export async function serveOperator(options: OperatorServerOptions): Promise<OperatorServer> {
  const context = new zmq.Context();
  const zap = await startZap(context, { keys: options.keys.keys, clients: new Map([['operator', options.keys.operatorPublicKey]]) });
  const router = new zmq.Router({
    context,
    linger: 0,
    curveServer: true,
    curveSecretKey: options.keys.keys.secretKey,
    // without its ZAP handler (gone, never bound) a CURVE server admits any client key: refuse instead
    zapDomain: 'gridbench-operator',
    zapEnforceDomain: true,
    // a client that never finishes its handshake does not hold a connection; a message above the
    // largest operation (a firmware image) is dropped with its connection by ZeroMQ, never read
    handshakeInterval: HANDSHAKE_MS,
    maxMessageSize: MAX_MESSAGE_BYTES,
  });
  try {
    await router.bind(options.endpoint);
  } catch (err) {
    await zap.close();
    router.close();
    throw new Error(`--operator ${options.endpoint}: cannot bind (${(err as Error).message})`, { cause: err });
  }
  let operator: Buffer | undefined;
  const backlog = new OperatorBacklog(options.backlog);
  const history = new OperatorHistory(options.history);
  let closed = false;
  const outbox = inOrder<[Buffer, Buffer]>((parts) => router.send(parts));
  /** Every message to an operator but the hello is numbered (operator-history.ts). */
  const to = (peer: Buffer, m: HostMessage) => outbox([peer, history.number(m, Date.now())]);

  const watching = (async () => {
    try {
      for await (const event of router.events)
        if (event.type.startsWith('handshake:error'))
          options.refuse('unauthenticated', 'address' in event ? String(event.address) : '?', event.type);
    } catch {
      // the socket was closed under the loop
    }
  })();
  const take = (peer: Buffer, from: string, body: Buffer | undefined) => {
    const decoded = decodeMessage(body);
    if (typeof decoded === 'string') return options.refuse('malformed', from, decoded);
    if (decoded.type === HELLO.type) {
      operator = peer;
      // an operator that comes back says which message it expects: it gets them again when they are all kept
      const again = typeof decoded.next === 'number' ? history.since(decoded.next) : undefined;
      if (again) {
        outbox([peer, serialize({ ...HELLO, from: decoded.next })]);
        for (const bytes of again) outbox([peer, bytes]);
      } else {
        // a new operator, or one that missed more than is kept: what its oracle needs first, and how much of it was dropped
        const { events, dropped } = backlog.snapshot(Date.now());
        outbox([peer, serialize({ ...HELLO, from: history.next, dropped })]);
        for (const m of chunks({ type: 'observed', events })) to(peer, m);
      }
      return options.onOperator();
    }
    // the operator says hello first on each connection: anything else from a connection that did
    // not (an operation queued before a reconnection, which the operator has settled without this
    // host) or from an operator another one has taken over from is never run
    if (!operator?.equals(peer))
      return options.refuse('no-hello', from, `${String(decoded.type).slice(0, 40)}: from a connection that did not say hello last`);
    const m = parentMessage(decoded, options.nodes);
    if ('reason' in m) options.refuse(m.reason, from, m.detail);
    else options.onMessage(m);
  };
  const receiving = (async () => {
    try {
      for await (const [peer, body] of router) {
        const from = peer?.toString('hex') ?? '?';
        // one message that cannot be handled must not end the loop: the host would be deaf to its operator
        try {
          if (peer) take(peer, from, body);
        } catch (err) {
          options.refuse('failed', from, `handling it threw: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } catch {
      // the socket was closed under the loop
    }
  })();
  return {
    send(m) {
      if (m.type !== 'observed') {
        if (operator && !closed) to(operator, m);
        return;
      }
      const dropped = backlog.keep(m.events, Date.now());
      if (dropped) options.dropped?.(dropped);
      if (operator && !closed) for (const c of chunks(m)) to(operator, c);
    },
    async close() {
      if (closed) return;
      closed = true;
      router.close();
      await Promise.all([watching, receiving]);
      await zap.close();
    },
  };
}

export interface OperatorHostOptions {
  /** The host's selection (hes, dc1, tns:dc1...), its name in the relay. */
  readonly name: string;
  readonly endpoint: string;
  /** The operator's key pair and the host's public key (operator-keys.ts loadOperatorKeys). */
  readonly keys: CurveKeys;
  readonly hostPublicKey: string;
  readonly onMessage: (m: HostMessage) => void;
  /** The connection went (the host stopped, or the network): operations waiting on it go on without it. */
  readonly onGone: () => void;
  readonly log: (line: string) => void;
  /** How long the host gets to answer the first hello (default 20 s). */
  readonly timeoutMs?: number;
}

/** A lab host as the relay sees it (campaign-relay.ts RelayHost), over its operator channel. */
export interface OperatorHost extends Omit<RelayHost, 'nodes'> {
  /**
   * What the operator missed of this host's messages, each naming the host (lost while its channel
   * was down, its backlog's drops, messages that could not be taken): a verdict is incomplete
   * unless this is empty.
   */
  incomplete(): readonly string[];
  /** The host's messages refused as not one the operator takes (operator-messages.ts hostMessage). */
  refused(): number;
  close(): Promise<void>;
}

/** The operator's side: connects to a host and waits for its hello, or says which host did not answer and why. */
export async function connectOperatorHost(options: OperatorHostOptions): Promise<OperatorHost> {
  const { name, endpoint } = options;
  const dealer = new zmq.Dealer({
    linger: 1_000,
    // an operation goes to a connection that is up now, or nowhere: queued for a host that is down
    // it would run on its return, after the relay settled it without that host (the host also runs
    // nothing that comes before an operator's hello on a connection)
    immediate: true,
    sendTimeout: SEND_TIMEOUT_MS,
    curveServerKey: options.hostPublicKey,
    curvePublicKey: options.keys.publicKey,
    curveSecretKey: options.keys.secretKey,
    // a host that dies without closing is noticed, as a disconnection
    heartbeatInterval: 1_000,
    heartbeatTimeout: 3_000,
  });
  let alive = false;
  let closed = false;
  let answered: (() => void) | undefined;
  let refused = '';
  /** The number of the host's next message; undefined before its first hello. */
  let next: number | undefined;
  const incomplete: string[] = [];
  const lost = (what: string) => {
    incomplete.push(`${name}: ${what}`);
    options.log(`${name}: ${what}; the verdict is incomplete`);
  };
  let malformed = 0;
  /** A host's message that is not one the operator takes: dropped, counted and logged; what it would have said is missing from the verdict. */
  const refuse = (detail: string) => {
    malformed++;
    lost(`a message from the host was refused (${detail}); ${malformed} refused so far`);
  };
  const outbox = inOrder<Buffer>(
    (body) => dealer.send(body),
    (err) => closed || options.log(`${name}: a message to the host was dropped: ${err instanceof Error ? err.message : String(err)}`),
  );
  const send = (m: unknown) => outbox(serialize(m));
  const watching = (async () => {
    try {
      for await (const event of dealer.events) {
        // each (re)connection says hello again: the host sends to whoever said it last
        if (event.type === 'handshake') send(next === undefined ? HELLO : { ...HELLO, next });
        else if (event.type.startsWith('handshake:error'))
          refused = ` (the CURVE handshake failed: ${event.type}; is it the host provisioned as ${name}?)`;
        else if (event.type === 'disconnect' && alive) {
          alive = false;
          options.log(`${name}: the operator channel to ${endpoint} went down`);
          options.onGone();
        }
      }
    } catch {
      // the socket was closed under the loop
    }
  })();
  const take = (body: Buffer | undefined) => {
    const decoded = decodeMessage(body);
    if (typeof decoded === 'string') return lost(`a message from the host was not understood: ${decoded}`);
    const { seq, ...m } = decoded;
    if (m.type === HELLO.type) {
      const from = m.from;
      if (typeof from !== 'number') return lost('its hello does not say where its numbering goes on');
      if (next !== undefined && from > next)
        lost(`its messages ${next} to ${from - 1} were lost while the operator channel was down (the host no longer kept them)`);
      else if (next !== undefined && from < next)
        lost(`its messages are numbered from ${from} again after ${next - 1}: it restarted, and what it sent before is lost`);
      if (typeof m.dropped === 'number' && m.dropped > 0)
        lost(`its backlog for a later operator dropped ${m.dropped} event(s) beyond its bounds before this operator came`);
      next = from;
      alive = true;
      answered?.();
      return;
    }
    if (next === undefined || typeof seq !== 'number') return lost(`a message came before its hello or without its number`);
    if (seq > next) lost(`its messages ${next} to ${seq - 1} were lost`);
    else if (seq < next) return lost(`its message ${seq} came again, out of order`);
    next = seq + 1;
    // a compromised host's message of another shape is refused here, naming the field, never handed to the relay
    const checked = hostMessage(m);
    if (typeof checked === 'string') return refuse(checked);
    options.onMessage(checked);
  };
  const receiving = (async () => {
    try {
      for await (const [body] of dealer) {
        // a message the relay cannot take (a compromised host's) must not end the loop: the host's
        // later messages, its nodes' acceptances among them, would never be judged
        try {
          take(body);
        } catch (err) {
          lost(`a message from the host could not be taken: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } catch {
      // the socket was closed under the loop
    }
  })();
  const host: OperatorHost = {
    name,
    alive: () => alive,
    incomplete: () => incomplete,
    refused: () => malformed,
    send: (m) => send(m),
    async close() {
      if (closed) return;
      closed = true;
      dealer.close();
      await Promise.all([watching, receiving]);
    },
  };
  dealer.connect(endpoint);
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([
    new Promise<boolean>((resolve) => (answered = () => resolve(true))),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  answered = undefined;
  if (!ok) {
    await host.close();
    throw new Error(
      `--host ${name}=${endpoint}: no answer within ${timeoutMs / 1000} s${refused || ' (is gridbench node running there with --operator, handed its state from this --state?)'}`,
    );
  }
  return host;
}
