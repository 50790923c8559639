/**
 * The attacker's position at the broker, for an attacker in another process (a campaign of
 * `gridbench run --processes`, or one run against the lab): docs/DESIGN.md section 3 gives the
 * attacker the wire, and the wire is here. A ZeroMQ ROUTER socket; a client (a DEALER) proves it
 * holds the port's token in its first message and then may, within its session:
 *
 *   tap       record the frames a matcher selects (node frames, not injected ones), streamed to it
 *   inject    put a frame on the wire between two nodes, with its attack label
 *   add       add a registered interceptor by spec (channel/interceptors/)
 *   custom    add an interceptor whose decisions the client makes: each frame it selects is held
 *             here, sent to the client, and forwarded, altered, dropped or answered with
 *             injections as the client decides (released when the client goes)
 *   remove    remove one of its interceptors; stats of its interceptors are pushed as they change
 *   bye       end the session: its taps and interceptors go, held frames are released
 *   ping      nothing but a sign of life: a session that sends nothing for `idleMs` (default 60 s)
 *             is closed as `bye` would close it, told why, and counted (idleClosed)
 *
 * Messages are JSON arrays of objects, bytes as hex. What a client asks beyond the limits below is
 * refused with an error naming the field; nothing a client sends throws out of the loop.
 */
import { timingSafeEqual } from 'node:crypto';
import * as zmq from 'zeromq';
import { fromHex, toHex } from '../core/bytes';
import type { Destination, NodeId } from '../core/transport';
import type { ChannelControl } from './control';
import type { WireFrame } from './frame';
import {
  boundedHex,
  compileMatcher,
  LIMITS,
  matcherSchema,
  type InterceptorContext,
  type InterceptorStats,
  type Matcher,
} from './interceptor';
import type { TapEvent } from './taps';

export interface AttackPortOptions {
  /** ZeroMQ endpoint to bind, e.g. tcp://127.0.0.1:0. */
  readonly endpoint: string;
  /** What a client's hello must carry (at least 16 characters). */
  readonly token: string;
  /** A session that sends nothing for this long is closed and counted (default 60 s; a client keeps a quiet one open with ping). */
  readonly idleMs?: number | undefined;
}

export interface AttackPort {
  readonly endpoint: string;
  /** Sessions open now. */
  sessions(): number;
  /** Sessions closed so far because they sent nothing for idleMs. */
  idleClosed(): number;
  close(): Promise<void>;
}

/** Bounds on what one client can ask for. */
export const ATTACK_PORT_LIMITS = {
  sessions: 8,
  taps: 256,
  interceptors: LIMITS.interceptors,
  heldFrames: LIMITS.held,
  messageBytes: 4 << 20,
} as const;

/** How long a session may send nothing before it is closed (AttackPortOptions.idleMs). */
export const ATTACK_PORT_IDLE_MS = 60_000;

/** How often interceptor stats are pushed while they change. */
const STATS_MS = 250;

/** A frame as it crosses the attack port. */
export interface PortFrame {
  readonly link: string;
  readonly kind: 'wan' | 'plc';
  readonly direction: 'up' | 'down';
  readonly from: NodeId;
  readonly to: Destination;
  readonly className: string;
  readonly hex: string;
  readonly sentAt: number;
  readonly time?: number;
  readonly attack?: string;
}

/** A decision of the client about a held frame (or an action its interceptor takes). */
export type PortAction =
  | { readonly a: 'forward'; readonly from?: NodeId; readonly to?: Destination; readonly hex?: string }
  | { readonly a: 'tamper'; readonly hex: string }
  | { readonly a: 'drop' }
  | { readonly a: 'inject'; readonly from: NodeId; readonly to: Destination; readonly hex: string; readonly attack?: string }
  | { readonly a: 'jam'; readonly ms: number };

/** Client -> port. `re` is echoed in the answer. */
export type PortRequest =
  | { readonly op: 'hello'; readonly token: string; readonly re?: number }
  | { readonly op: 'links'; readonly re?: number }
  | { readonly op: 'tap'; readonly sub: number; readonly match?: Matcher }
  | { readonly op: 'untap'; readonly sub: number }
  | { readonly op: 'inject'; readonly from: NodeId; readonly to: Destination; readonly hex: string; readonly attack?: string }
  | { readonly op: 'add'; readonly spec: unknown; readonly re?: number }
  | { readonly op: 'custom'; readonly id: string; readonly match?: Matcher; readonly type?: string; readonly re?: number }
  | { readonly op: 'remove'; readonly id: string; readonly re?: number }
  | { readonly op: 'decide'; readonly fid: number; readonly actions: readonly PortAction[]; readonly final: boolean }
  | { readonly op: 'ping' }
  | { readonly op: 'bye' };

/** Port -> client. */
export type PortEvent =
  | { readonly ev: 'answer'; readonly re: number; readonly ok?: unknown; readonly error?: string }
  | { readonly ev: 'tap'; readonly sub: number; readonly frame: PortFrame }
  | { readonly ev: 'frame'; readonly id: string; readonly fid: number; readonly frame: PortFrame }
  | { readonly ev: 'stats'; readonly id: string; readonly stats: InterceptorStats; readonly removed?: boolean }
  | { readonly ev: 'error'; readonly error: string };

export const portFrame = (f: WireFrame): PortFrame => ({
  link: f.linkName,
  kind: f.link.kind,
  direction: f.direction,
  from: f.from,
  to: f.to,
  className: f.className,
  hex: toHex(f.bytes),
  sentAt: f.sentAt,
  ...(f.attack ? { attack: f.attack } : {}),
});

const tapFrame = (e: TapEvent): PortFrame => ({
  link: e.link,
  kind: e.kind,
  direction: e.direction,
  from: e.from,
  to: e.to,
  className: e.className,
  hex: toHex(e.bytes),
  sentAt: e.sentAt,
  time: e.time,
});

const bytesOf = (hex: unknown, field: string): Uint8Array => {
  const parsed = boundedHex.safeParse(hex);
  if (!parsed.success) throw new Error(`${field}: ${parsed.error.issues[0]?.message ?? 'expected hex digits'}`);
  return fromHex(parsed.data);
};
const nameOf = (v: unknown, field: string): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw new Error(`${field}: expected a name of 1 to 64 characters`);
  return v;
};

interface Held {
  readonly frame: WireFrame;
  readonly ctx: InterceptorContext;
}

interface Session {
  readonly routing: Buffer;
  readonly taps: Map<number, () => void>;
  readonly interceptors: Map<string, string>;
  readonly held: Map<number, Held>;
  readonly lastStats: Map<string, string>;
  outbox: PortEvent[];
  /** When it last sent anything (Date.now()). */
  lastSeen: number;
}

export async function startAttackPort(control: ChannelControl, options: AttackPortOptions): Promise<AttackPort> {
  if (options.token.length < 16) throw new Error('attack.token: expected at least 16 characters');
  const expected = Buffer.from(options.token);
  const router = new zmq.Router({ maxMessageSize: ATTACK_PORT_LIMITS.messageBytes, linger: 0, sendHighWaterMark: 100_000 });
  await router.bind(options.endpoint);
  const endpoint = router.lastEndpoint ?? options.endpoint;
  const sessions = new Map<string, Session>();
  const ready: [Buffer, Buffer][] = [];
  let writing = false;
  let closed = false;
  let nextFid = 0;

  const write = async (): Promise<void> => {
    writing = true;
    try {
      while (ready.length > 0 && !closed) await router.send(ready.shift()!);
    } catch {
      // the socket closed under the writer
    } finally {
      writing = false;
    }
  };
  const sendNow = (to: Buffer, events: readonly PortEvent[]): void => {
    ready.push([to, Buffer.from(JSON.stringify(events))]);
    if (!writing) void write();
  };
  let flushArmed = false;
  const flush = (): void => {
    flushArmed = false;
    for (const s of sessions.values())
      if (s.outbox.length) {
        sendNow(s.routing, s.outbox);
        s.outbox = [];
      }
  };
  const push = (s: Session, event: PortEvent): void => {
    s.outbox.push(event);
    if (!flushArmed) {
      flushArmed = true;
      setImmediate(flush);
    }
  };

  const pushStats = (s: Session, removed = false): void => {
    for (const id of s.interceptors.keys()) {
      const info = control.interceptor(id);
      if (!info) continue;
      const text = JSON.stringify(info.stats);
      if (!removed && s.lastStats.get(id) === text) continue;
      s.lastStats.set(id, text);
      push(s, { ev: 'stats', id, stats: info.stats });
    }
  };
  const statsTimer = setInterval(() => {
    for (const s of sessions.values()) pushStats(s);
  }, STATS_MS);

  const removeInterceptor = (s: Session, id: string): boolean => {
    const info = control.interceptor(id);
    if (!s.interceptors.has(id) || !info) return false;
    s.interceptors.delete(id);
    // held frames of a removed client interceptor go on, as a holding interceptor releases them
    for (const [fid, h] of s.held)
      if (h.ctx.id === id) {
        s.held.delete(fid);
        h.ctx.forward(h.frame);
      }
    control.removeInterceptor(id);
    push(s, { ev: 'stats', id, stats: info.stats, removed: true });
    return true;
  };

  const end = (key: string): void => {
    const s = sessions.get(key);
    if (!s) return;
    for (const untap of s.taps.values()) untap();
    for (const id of [...s.interceptors.keys()]) removeInterceptor(s, id);
    sessions.delete(key);
  };

  const apply = (h: Held, action: PortAction): boolean => {
    switch (action.a) {
      case 'forward':
        h.ctx.forward({
          ...h.frame,
          ...(action.from !== undefined ? { from: nameOf(action.from, 'from') } : {}),
          ...(action.to !== undefined ? { to: nameOf(action.to, 'to') } : {}),
          ...(action.hex !== undefined ? { bytes: bytesOf(action.hex, 'hex') } : {}),
        });
        return true;
      case 'tamper':
        h.ctx.tamper(h.frame, bytesOf(action.hex, 'hex'));
        return true;
      case 'drop':
        h.ctx.drop(h.frame);
        return true;
      case 'inject':
        h.ctx.inject({
          from: nameOf(action.from, 'from'),
          to: nameOf(action.to, 'to'),
          bytes: bytesOf(action.hex, 'hex'),
          ...(action.attack ? { attack: nameOf(action.attack, 'attack') } : {}),
        });
        return false;
      case 'jam':
        if (typeof action.ms !== 'number' || !(action.ms > 0 && action.ms <= LIMITS.ms)) throw new Error(`ms: expected 1 to ${LIMITS.ms}`);
        h.ctx.jam(action.ms);
        return false;
      default:
        throw new Error(`a: unknown action ${JSON.stringify((action as { a: unknown }).a)}`);
    }
  };

  const handle = (s: Session, m: PortRequest): unknown => {
    switch (m.op) {
      case 'hello':
        return { endpoint };
      case 'links':
        return control.links();
      case 'tap': {
        if (s.taps.size >= ATTACK_PORT_LIMITS.taps && !s.taps.has(m.sub))
          throw new Error(`sub: at most ${ATTACK_PORT_LIMITS.taps} taps per session`);
        const parsed = matcherSchema.safeParse(m.match ?? {});
        if (!parsed.success) throw new Error('match: expected a matcher');
        const test = compileMatcher(parsed.data);
        s.taps.get(m.sub)?.();
        const untap = control.tap((e) => {
          if (e.injectedBy) return;
          const link = { kind: e.kind, dc: e.link.slice(e.link.indexOf(':') + 1) };
          if (test({ ...e, linkName: e.link, link })) push(s, { ev: 'tap', sub: m.sub, frame: tapFrame(e) });
        });
        s.taps.set(m.sub, untap);
        return undefined;
      }
      case 'untap':
        s.taps.get(m.sub)?.();
        s.taps.delete(m.sub);
        return undefined;
      case 'inject':
        control.inject({
          from: nameOf(m.from, 'from'),
          to: nameOf(m.to, 'to'),
          bytes: bytesOf(m.hex, 'hex'),
          ...(m.attack ? { attack: nameOf(m.attack, 'attack') } : {}),
        });
        return undefined;
      case 'add': {
        if (s.interceptors.size >= ATTACK_PORT_LIMITS.interceptors)
          throw new Error(`spec: at most ${ATTACK_PORT_LIMITS.interceptors} interceptors per session`);
        const info = control.addInterceptor(m.spec as never);
        s.interceptors.set(info.id, info.type);
        return info;
      }
      case 'custom': {
        if (s.interceptors.size >= ATTACK_PORT_LIMITS.interceptors)
          throw new Error(`id: at most ${ATTACK_PORT_LIMITS.interceptors} interceptors per session`);
        const parsed = matcherSchema.safeParse(m.match ?? {});
        if (!parsed.success) throw new Error('match: expected a matcher');
        const id = nameOf(m.id, 'id');
        const info = control.addCustomInterceptor(
          (frame, ctx) => {
            if (s.held.size >= ATTACK_PORT_LIMITS.heldFrames) return ctx.forward(frame);
            const fid = ++nextFid;
            s.held.set(fid, { frame, ctx });
            push(s, { ev: 'frame', id, fid, frame: portFrame(frame) });
          },
          { id, match: parsed.data, type: typeof m.type === 'string' ? m.type.slice(0, 32) : 'attacker' },
        );
        s.interceptors.set(id, info.type);
        return info;
      }
      case 'remove':
        return removeInterceptor(s, nameOf(m.id, 'id'));
      case 'decide': {
        const h = s.held.get(m.fid);
        if (!h) return undefined;
        let decided = false;
        for (const action of Array.isArray(m.actions) ? m.actions : []) decided = apply(h, action) || decided;
        if (decided || m.final) s.held.delete(m.fid);
        return undefined;
      }
      case 'ping':
      case 'bye':
        return undefined;
      default:
        throw new Error(`op: unknown operation ${JSON.stringify((m as { op: unknown }).op)}`);
    }
  };

  const receive = (routing: Buffer, body: Buffer | undefined): void => {
    const key = routing.toString('hex');
    let requests: PortRequest[];
    try {
      const parsed: unknown = JSON.parse(body?.toString('utf8') ?? '');
      requests = (Array.isArray(parsed) ? parsed : [parsed]) as PortRequest[];
    } catch {
      sendNow(routing, [{ ev: 'error', error: 'message: expected JSON' }]);
      return;
    }
    let s = sessions.get(key);
    for (const m of requests) {
      if (typeof m !== 'object' || m === null) continue;
      if (!s) {
        const token = Buffer.from(typeof m.op === 'string' && m.op === 'hello' && typeof m.token === 'string' ? m.token : '');
        if (token.length !== expected.length || !timingSafeEqual(token, expected)) {
          sendNow(routing, [{ ev: 'error', error: 'token: the first message must be a hello with the attack port token' }]);
          return;
        }
        if (sessions.size >= ATTACK_PORT_LIMITS.sessions) {
          sendNow(routing, [{ ev: 'error', error: `sessions: at most ${ATTACK_PORT_LIMITS.sessions} at once` }]);
          return;
        }
        sessions.set(
          key,
          (s = { routing, taps: new Map(), interceptors: new Map(), held: new Map(), lastStats: new Map(), outbox: [], lastSeen: 0 }),
        );
      }
      s.lastSeen = Date.now();
      const re = 're' in m && typeof m.re === 'number' ? m.re : undefined;
      try {
        const ok = handle(s, m);
        if (re !== undefined) push(s, { ev: 'answer', re, ...(ok !== undefined ? { ok } : {}) });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        push(s, re !== undefined ? { ev: 'answer', re, error } : { ev: 'error', error: `${m.op}: ${error}` });
      }
      if (m.op === 'bye') {
        flush();
        end(key);
        flush();
        return;
      }
    }
  };

  const receiving = (async () => {
    try {
      for await (const [routing, body] of router) {
        try {
          if (routing) receive(routing, body);
        } catch {
          // one bad message must not stop the port
        }
      }
    } catch {
      // the socket was closed under the loop
    }
  })();

  // a client that went quiet (crashed without bye, or holds a session it does not use) gives back
  // what it took: its taps, interceptors and held frames, and its place among ATTACK_PORT_LIMITS.sessions
  const idleMs = options.idleMs ?? ATTACK_PORT_IDLE_MS;
  let idleClosed = 0;
  const idleTimer = setInterval(
    () => {
      const now = Date.now();
      for (const [key, s] of sessions)
        if (now - s.lastSeen > idleMs) {
          push(s, { ev: 'error', error: `idle: nothing received for ${idleMs} ms; the session is closed` });
          flush();
          end(key);
          idleClosed++;
        }
    },
    Math.max(10, Math.min(idleMs / 4, 5_000)),
  );

  return {
    endpoint,
    sessions: () => sessions.size,
    idleClosed: () => idleClosed,
    async close() {
      if (closed) return;
      for (const key of [...sessions.keys()]) end(key);
      clearInterval(statsTimer);
      clearInterval(idleTimer);
      closed = true;
      router.close();
      await receiving;
    },
  };
}
