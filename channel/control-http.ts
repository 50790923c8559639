import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelError, type ChannelControl } from './control';
import { boundedHex, InterceptorConfigError } from './interceptor';
import { ProfileError, profileSpecSchema } from './profile';
import { describeZodIssues } from '../core/config';
import { z } from 'zod';
import { fromHex, toHex } from '../core/bytes';

export interface ControlServerOptions {
  /** Loopback by default. Any other address requires a token. */
  readonly host?: string;
  /** 0: any free port. */
  readonly port: number;
  /** Clients send "Authorization: Bearer <token>". */
  readonly token?: string | undefined;
}

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

export class ControlConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlConfigError';
  }
}

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const injectSchema = z.object({ from: z.string().min(1).max(255), to: z.string().min(1).max(255), hex: boundedHex }).strict();

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** The host name of a Host header or an Origin ("name", "name:port", "[v6]:port"); undefined when malformed. */
function hostnameOf(authority: string): { name: string; port: string } | undefined {
  try {
    const u = new URL(`http://${authority}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash) return undefined;
    return { name: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port || '80' };
  } catch {
    return undefined;
  }
}

/**
 * Refuses what a web page the operator opens could send (channel/README.md, "Who may use the
 * control API"): a Host header naming another host (DNS rebinding: 421), a foreign Origin or a cross-site
 * fetch (CSRF: 403), and a mutating request whose body is not declared JSON, which a page can send
 * without a CORS preflight (415).
 */
function guard(req: IncomingMessage, bound: string, port: () => number): void {
  const hostOk = (name: string): boolean => isLoopback(name) || name === bound.replace(/^\[(.*)\]$/, '$1') || WILDCARD.has(bound);
  const host = req.headers.host;
  if (host !== undefined) {
    const h = hostnameOf(host);
    if (!h || !hostOk(h.name)) throw new HttpError(421, 'MISDIRECTED', `host: "${host.slice(0, 100)}" is not this control API`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const m = /^http:\/\/([^/]+)$/.exec(origin);
    const o = m ? hostnameOf(m[1]!) : undefined;
    if (!o || !hostOk(o.name) || o.port !== String(port()))
      throw new HttpError(403, 'FOREIGN_ORIGIN', `origin: "${origin.slice(0, 100)}" may not use this control API`);
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site')
    throw new HttpError(403, 'FOREIGN_ORIGIN', `sec-fetch-site: ${site} requests may not use this control API`);
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const hasBody =
      req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    if (type !== 'application/json' && (method === 'POST' || hasBody))
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type: expected application/json, got "${type.slice(0, 100) || 'none'}"`);
  }
}

const MAX_BODY = 1 << 20;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, 'TOO_LARGE', `body: expected at most ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'body: expected a JSON object');
  }
}

/**
 * The broker's control API, toxiproxy style: resources under /links, /presets, /interceptors,
 * plus /inject, /reset and /stats. JSON in and out; errors are {"error": {"code", "message"}}.
 *
 *   GET    /links                 GET /links/{name}     POST /links/{name}  {preset?, ...fields}
 *     (fields without a preset refine the link's present profile, as in a config file)
 *   GET    /presets               GET /interceptor-types
 *   GET    /interceptors          POST /interceptors    {type, id?, match?, probability?, config?}
 *   GET    /interceptors/{id}     DELETE /interceptors/{id}
 *   POST   /inject                {from, to, hex}
 *   POST   /reset                 GET /stats
 */
export async function startControlServer(control: ChannelControl, options: ControlServerOptions): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && !options.token)
    throw new ControlConfigError(`control.token: required when the control API binds to a non-loopback address ("${host}")`);
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;

  const route = async (req: IncomingMessage): Promise<[number, unknown]> => {
    if (expected) {
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected))
        throw new HttpError(401, 'UNAUTHORIZED', 'authorization: expected "Bearer <token>"');
    }
    guard(req, host, () => (server.address() as AddressInfo).port);
    const url = new URL(req.url ?? '/', 'http://control');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'BAD_PATH', `path: "${url.pathname.slice(0, 100)}" is not a valid URI path`);
    }
    const method = req.method ?? 'GET';
    const [resource, name] = parts;
    if (parts.length > 2) throw new HttpError(404, 'NOT_FOUND', `path: no resource ${url.pathname}`);
    switch (`${method} ${resource ?? ''}${name !== undefined ? '/:name' : ''}`) {
      case 'GET links':
        return [200, control.links()];
      case 'GET links/:name': {
        const link = control.links().find((l) => l.name === name);
        if (!link) throw new HttpError(404, 'UNKNOWN_LINK', `link: unknown link "${name}"`);
        return [200, link];
      }
      case 'POST links/:name': {
        const body = profileSpecSchema.safeParse(await readJson(req));
        if (!body.success) throw new HttpError(400, 'BAD_PROFILE', describeZodIssues(body.error, 'body'));
        return [200, { name, profile: control.setProfile(name!, body.data) }];
      }
      case 'GET presets':
        return [200, control.presets()];
      case 'GET interceptor-types':
        return [200, control.interceptorTypes()];
      case 'GET interceptors':
        return [200, control.interceptors()];
      case 'POST interceptors':
        return [201, control.addInterceptor((await readJson(req)) as never)];
      case 'GET interceptors/:name': {
        const info = control.interceptor(name!);
        if (!info) throw new HttpError(404, 'UNKNOWN_INTERCEPTOR', `interceptor: unknown id "${name}"`);
        return [200, info];
      }
      case 'DELETE interceptors/:name':
        if (!control.removeInterceptor(name!)) throw new HttpError(404, 'UNKNOWN_INTERCEPTOR', `interceptor: unknown id "${name}"`);
        return [204, undefined];
      case 'POST inject': {
        const body = injectSchema.safeParse(await readJson(req));
        if (!body.success) throw new HttpError(400, 'BAD_INJECT', describeZodIssues(body.error, 'body'));
        control.inject({ from: body.data.from, to: body.data.to, bytes: fromHex(body.data.hex) });
        return [202, { injected: 1 }];
      }
      case 'POST reset':
        control.reset();
        return [204, undefined];
      case 'GET stats':
        return [200, control.stats()];
      default:
        throw new HttpError(404, 'NOT_FOUND', `path: no route ${method} ${url.pathname}`);
    }
  };

  const respond = (res: ServerResponse, status: number, body: unknown): void => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  };

  const server = createServer((req, res) => {
    route(req).then(
      ([status, body]) => respond(res, status, body),
      (err: unknown) => {
        if (err instanceof HttpError) return respond(res, err.status, { error: { code: err.code, message: err.message } });
        if (err instanceof ProfileError || err instanceof InterceptorConfigError)
          return respond(res, 400, { error: { code: err.name, message: err.message } });
        if (err instanceof ChannelError) {
          const status = err.code === 'UNKNOWN_LINK' ? 404 : err.code === 'TOO_MANY' ? 400 : 409;
          return respond(res, status, { error: { code: err.code, message: err.message } });
        }
        respond(res, 500, { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shown}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
