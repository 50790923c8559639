/**
 * The channel's control object for an attacker in another process than the broker: the same
 * ChannelControl the in-process attacker holds (bench/attack/attacker.ts), over the broker's attack
 * port (channel/attack-port.ts). Taps stream the frames their matcher selects (the matcher is
 * applied at the broker); injections and interceptors act at the broker; a programmatic
 * interceptor runs here, on frames the broker holds for it until it decides. Interceptor stats
 * arrive as the broker pushes them (every 250 ms while they change, and when one is removed).
 *
 * Operations are sent in call order and the broker applies them in that order; one that the
 * broker refuses is reported through `onError` (its id, its field), as a campaign step's failure.
 */
import * as zmq from 'zeromq';
import { fromHex, toHex } from '../../core/bytes';
import { RealClock, type Clock } from '../../core/clock';
import { Random } from '../../core/random';
import type { ChannelControl, ChannelStats, CustomInterceptorOptions, InterceptorFn, LinkInfo } from '../../channel/control';
import type { PortAction, PortEvent, PortFrame, PortRequest } from '../../channel/attack-port';
import type { WireFrame } from '../../channel/frame';
import {
  createInterceptor,
  interceptorSpecSchema,
  interceptorTypes,
  InterceptorConfigError,
  type Interceptor,
  type InterceptorContext,
  type InterceptorInfo,
  type InterceptorSpec,
  type InterceptorStats,
  type Matcher,
} from '../../channel/interceptor';
import '../../channel/interceptors';
import type { TapHandler } from '../../channel/taps';
import { describeZodIssues } from '../../core/config';

export interface RemoteControlOptions {
  /** The broker's attack port, e.g. tcp://10.0.0.1:5600. */
  readonly endpoint: string;
  readonly token: string;
  /** Seeds the random streams of programmatic interceptors run here. */
  readonly seed?: string | number;
  readonly clock?: Clock;
  /** Called with what the broker refused after the call returned. */
  readonly onError?: (message: string) => void;
  /** How long to wait for the broker's answer to the hello (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How often a quiet session says it is alive (ping), so that the port does not close it as idle (default 15 s). */
  readonly keepaliveMs?: number;
}

export interface RemoteControl extends ChannelControl {
  /** Ends the session at the broker (its taps and interceptors go) and closes the socket. */
  close(): Promise<void>;
}

const ZERO_STATS: InterceptorStats = { matched: 0, fired: 0, forwarded: 0, dropped: 0, injected: 0, tampered: 0 };

const wireFrame = (f: PortFrame): WireFrame => ({
  link: { kind: f.kind, dc: f.link.slice(f.link.indexOf(':') + 1) },
  linkName: f.link,
  direction: f.direction,
  from: f.from,
  to: f.to,
  bytes: fromHex(f.hex),
  className: f.className,
  sentAt: f.sentAt,
  ...(f.attack ? { attack: f.attack } : {}),
});

/** Connects to a broker's attack port; rejects when the token is refused or nobody answers. */
export async function connectRemoteControl(options: RemoteControlOptions): Promise<RemoteControl> {
  const clock = options.clock ?? new RealClock();
  const random = new Random(options.seed ?? 'remote-attacker');
  const dealer = new zmq.Dealer({ linger: 1_000, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
  dealer.connect(options.endpoint);
  const outbox: PortRequest[] = [];
  let writing = false;
  let closed = false;
  const write = async (): Promise<void> => {
    writing = true;
    try {
      while (outbox.length > 0 && !closed) await dealer.send(JSON.stringify(outbox.splice(0)));
    } catch {
      // the socket closed under the writer
    } finally {
      writing = false;
    }
  };
  const send = (m: PortRequest): void => {
    outbox.push(m);
    if (!writing) setImmediate(() => void write());
  };

  let nextRe = 0;
  const answers = new Map<number, (e: Extract<PortEvent, { ev: 'answer' }>) => void>();
  const ask = (m: PortRequest & { re?: number }): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const re = ++nextRe;
      answers.set(re, (a) => (a.error !== undefined ? reject(new Error(a.error)) : resolve(a.ok)));
      send({ ...m, re } as PortRequest);
    });
  const report = (message: string) => options.onError?.(message);

  /** Set while the hello waits: the broker refuses a bad token with an error, not an answer. */
  let refuseHello: ((message: string) => void) | undefined;
  const taps = new Map<number, TapHandler>();
  let nextSub = 0;
  const infos = new Map<string, InterceptorInfo>();
  const programs = new Map<string, Interceptor>();
  let removedTotals = new Map<string, InterceptorInfo>();

  const contextFor = (id: string, fid: number): { ctx: InterceptorContext; done: () => void } => {
    let actions: PortAction[] = [];
    let scheduled = 0;
    const flushActions = (final: boolean) => {
      send({ op: 'decide', fid, actions, final });
      actions = [];
    };
    const ctx: InterceptorContext = {
      id,
      random: random.fork(id),
      now: () => clock.now(),
      forward: (f) => actions.push({ a: 'forward', from: f.from, to: f.to, hex: toHex(f.bytes) }),
      tamper: (_f, bytes) => actions.push({ a: 'tamper', hex: toHex(bytes) }),
      drop: () => actions.push({ a: 'drop' }),
      inject: (f) => actions.push({ a: 'inject', from: f.from, to: f.to, hex: toHex(f.bytes), ...(f.attack ? { attack: f.attack } : {}) }),
      jam: (ms) => actions.push({ a: 'jam', ms }),
      schedule: (delayMs, fn) => {
        scheduled++;
        return clock.setTimer(delayMs, () => {
          scheduled--;
          fn();
          flushActions(scheduled === 0);
        });
      },
    };
    return { ctx, done: () => flushActions(scheduled === 0) };
  };

  const onEvent = (e: PortEvent): void => {
    switch (e.ev) {
      case 'answer':
        answers.get(e.re)?.(e);
        answers.delete(e.re);
        return;
      case 'tap':
        taps.get(e.sub)?.({
          time: e.frame.time ?? clock.now(),
          link: e.frame.link,
          kind: e.frame.kind,
          direction: e.frame.direction,
          from: e.frame.from,
          to: e.frame.to,
          className: e.frame.className,
          bytes: fromHex(e.frame.hex),
          sentAt: e.frame.sentAt,
        });
        return;
      case 'frame': {
        const program = programs.get(e.id);
        const { ctx, done } = contextFor(e.id, e.fid);
        try {
          if (program) program.onFrame(wireFrame(e.frame), ctx);
          else ctx.forward(wireFrame(e.frame));
        } catch (err) {
          report(`interceptor ${e.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
        done();
        return;
      }
      case 'stats': {
        const info = infos.get(e.id) ?? removedTotals.get(e.id);
        if (!info) return;
        const updated = { ...info, stats: e.stats };
        if (e.removed) {
          infos.delete(e.id);
          removedTotals.set(e.id, updated);
        } else if (infos.has(e.id)) infos.set(e.id, updated);
        return;
      }
      case 'error':
        if (refuseHello) refuseHello(e.error);
        else report(e.error);
        return;
    }
  };

  const receiving = (async () => {
    try {
      for await (const [body] of dealer) {
        try {
          for (const e of JSON.parse(body!.toString('utf8')) as PortEvent[]) onEvent(e);
        } catch (err) {
          report(`attack port: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } catch {
      // closed
    }
  })();

  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  let links: LinkInfo[];
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ask({ op: 'hello', token: options.token }),
      new Promise<never>((_, reject) => {
        refuseHello = (message) => reject(new Error(`attack port ${options.endpoint}: ${message}`));
        timer = setTimeout(() => reject(new Error(`attack port ${options.endpoint}: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    links = (await ask({ op: 'links' })) as LinkInfo[];
  } catch (err) {
    closed = true;
    dealer.close();
    await receiving;
    throw err;
  } finally {
    clearTimeout(timer);
    refuseHello = undefined;
  }

  // a campaign may wait minutes between steps: the port must not take the quiet session for a dead one
  const keepalive = setInterval(() => send({ op: 'ping' }), options.keepaliveMs ?? 15_000);
  keepalive.unref();

  const remove = (id: string): boolean => {
    if (!infos.has(id)) return false;
    programs.delete(id);
    send({ op: 'remove', id });
    return true;
  };

  return {
    links: () => links,
    presets: () => {
      throw new Error('presets: not offered by the attack port; use the control API');
    },
    setProfile: () => {
      throw new Error('setProfile: not offered by the attack port; use the control API');
    },
    interceptorTypes: () => interceptorTypes().map((t) => ({ name: t.name, summary: t.summary })),
    addInterceptor: (spec: InterceptorSpec) => {
      const parsed = interceptorSpecSchema.safeParse(spec);
      if (!parsed.success) throw new InterceptorConfigError(describeZodIssues(parsed.error));
      const { config } = createInterceptor(parsed.data.type, parsed.data.config);
      const id = parsed.data.id ?? `${parsed.data.type}-${++nextSub}`;
      const info: InterceptorInfo = {
        id,
        type: parsed.data.type,
        match: parsed.data.match ?? {},
        probability: parsed.data.probability ?? 1,
        config,
        stats: ZERO_STATS,
      };
      infos.set(id, info);
      ask({ op: 'add', spec: { ...parsed.data, id } }).catch((err: unknown) => {
        infos.delete(id);
        report(`interceptor ${id}: ${(err as Error).message}`);
      });
      return info;
    },
    addCustomInterceptor: (impl: Interceptor | InterceptorFn, opts: CustomInterceptorOptions = {}) => {
      const id = opts.id ?? `custom-${++nextSub}`;
      const info: InterceptorInfo = {
        id,
        type: opts.type ?? 'custom',
        match: opts.match ?? {},
        probability: opts.probability ?? 1,
        config: undefined,
        stats: ZERO_STATS,
      };
      programs.set(id, typeof impl === 'function' ? { onFrame: impl } : impl);
      infos.set(id, info);
      ask({ op: 'custom', id, ...(opts.match ? { match: opts.match } : {}), type: info.type }).catch((err: unknown) => {
        infos.delete(id);
        programs.delete(id);
        report(`interceptor ${id}: ${(err as Error).message}`);
      });
      return info;
    },
    removeInterceptor: remove,
    interceptors: () => [...infos.values()],
    interceptor: (id) => infos.get(id) ?? removedTotals.get(id),
    reset: () => {
      for (const id of [...infos.keys()]) remove(id);
    },
    tap: (handler, match?: Matcher) => {
      const sub = ++nextSub;
      taps.set(sub, handler);
      send({ op: 'tap', sub, ...(match ? { match } : {}) });
      return () => {
        if (!taps.delete(sub)) return;
        send({ op: 'untap', sub });
      };
    },
    inject: (frame) =>
      send({ op: 'inject', from: frame.from, to: frame.to, hex: toHex(frame.bytes), ...(frame.attack ? { attack: frame.attack } : {}) }),
    stats: (): ChannelStats => {
      throw new Error('stats: not offered by the attack port; use the control API (GET /stats)');
    },
    async close() {
      if (closed) return;
      clearInterval(keepalive);
      send({ op: 'bye' });
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (writing || outbox.length) await new Promise<void>((resolve) => setTimeout(resolve, 5));
      closed = true;
      dealer.close();
      await receiving;
      removedTotals = new Map();
    },
  };
}
