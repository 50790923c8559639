import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../channel/interceptor';
import { zmqWire, type WireBench } from './wire-bench';
import type { Broker } from '../../channel/broker';

interface Answer {
  readonly status: number;
  readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** A raw HTTP request, as a browser or a script would send it: every header is the caller's. */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers, setHost: !('host' in headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Answer['body']) : {} });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('control API against hostile clients', () => {
  let bench: WireBench & { broker: Broker };
  let url: string;
  const json = { 'content-type': 'application/json' };
  const post = (path: string, body: unknown, headers: Record<string, string> = json): Promise<Answer> =>
    raw(url, 'POST', path, headers, JSON.stringify(body));
  const interceptorIds = async (): Promise<string[]> =>
    ((await raw(url, 'GET', '/interceptors', {})).body as unknown as { id: string }[]).map((i) => i.id);

  beforeAll(async () => {
    bench = await zmqWire({ control: true });
    url = bench.broker.controlUrl!;
  });
  afterAll(async () => {
    await bench.close();
  });

  it('answers a request for another host name with 421 (DNS rebinding) and does not act on it', async () => {
    const port = new URL(url).port;
    const attack = await post('/interceptors', { id: 'rebound', type: 'drop' }, { ...json, host: `evil.example:${port}` });
    expect(attack.status).toBe(421);
    expect(attack.body.error?.message).toMatch(/^host: "evil\.example/);
    expect((await raw(url, 'GET', '/stats', { host: `attacker.test:${port}` })).status).toBe(421);
    expect(await interceptorIds()).not.toContain('rebound');
    expect((await raw(url, 'GET', '/links', { host: `localhost:${port}` })).status).toBe(200);
  });

  it('answers a request from a foreign page with 403 (CSRF) and does not act on it', async () => {
    const port = new URL(url).port;
    for (const origin of ['http://evil.example', `http://127.0.0.1:${Number(port) + 1}`, 'null', `https://127.0.0.1:${port}`]) {
      const attack = await post('/interceptors', { id: 'csrf', type: 'drop' }, { ...json, origin });
      expect(attack.status, origin).toBe(403);
      expect(attack.body.error?.code).toBe('FOREIGN_ORIGIN');
    }
    expect((await post('/reset', {}, { ...json, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await interceptorIds()).not.toContain('csrf');
    const own = await post('/interceptors', { id: 'own-page', type: 'drop', match: { class: 'none' } }, { ...json, origin: url });
    expect(own.status).toBe(201);
    expect((await raw(url, 'DELETE', '/interceptors/own-page', { origin: url })).status).toBe(204);
  });

  it('refuses mutating requests whose body is not declared JSON (no CORS preflight) with 415', async () => {
    const before = bench.control.stats().links['wan:dc1']!.down.framesOffered;
    const text = await raw(
      url,
      'POST',
      '/inject',
      { 'content-type': 'text/plain' },
      JSON.stringify({ from: 'hes', to: 'dc1', hex: '0112aa' }),
    );
    expect(text.status).toBe(415);
    expect(text.body.error?.message).toMatch(/^content-type: expected application\/json, got "text\/plain"/);
    const form = await raw(url, 'POST', '/interceptors', { 'content-type': 'application/x-www-form-urlencoded' }, 'type=drop');
    expect(form.status).toBe(415);
    expect((await raw(url, 'POST', '/reset', {})).status).toBe(415);
    expect(await interceptorIds()).toEqual([]);
    expect(bench.control.stats().links['wan:dc1']!.down.framesOffered).toBe(before);
  });

  it('answers a malformed URI path with 400, not 500', async () => {
    const bad = await raw(url, 'GET', '/links/%E0%A4%A', {});
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_PATH');
  });

  it.each([
    ['inject count', { type: 'inject', config: { from: 'hes', to: 'dc1', hex: '0112', count: 1_000_000 } }, /config\.count/],
    ['duplicate copies', { type: 'duplicate', config: { copies: 1_000_000 } }, /config\.copies/],
    ['jam count', { type: 'jam', config: { durationMs: 1, count: 1_000_000, everyMs: 1 } }, /config\.count/],
    ['replay times', { type: 'replay', config: { times: 1_000_000 } }, /config\.times/],
    ['replay records', { type: 'replay', config: { limit: 100_000_000 } }, /config\.limit/],
    ['replay receivers', { type: 'replay', config: { to: Array.from({ length: 1000 }, (_, i) => `tn1.${i}`) } }, /config\.to/],
    ['reorder window', { type: 'reorder', config: { window: 100_000_000 } }, /config\.window/],
    ['tamper bits', { type: 'tamper', config: { flipBits: 100_000_000 } }, /config\.flipBits/],
    ['delay', { type: 'delay', config: { ms: 1e12 } }, /config\.ms/],
    ['forged frame size', { type: 'inject', config: { from: 'hes', to: 'dc1', hex: 'ab'.repeat(LIMITS.frameBytes + 1) } }, /config\.hex/],
  ])('refuses an interceptor asking for too much (%s) with 400 naming the field', async (_what, spec, field) => {
    const started = Date.now();
    const answer = await post('/interceptors', spec);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.message).toMatch(field);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await interceptorIds()).toEqual([]);
  });

  it('refuses link profiles and injections beyond their bounds with 400 naming the field', async () => {
    for (const [spec, field] of [
      [{ retries: 1_000_000 }, /body\.retries/],
      [{ maxPsdu: 1 }, /body\.maxPsdu/],
      [{ latencyMs: 1e12 }, /body\.latencyMs/],
      [{ queueFrames: 1e9 }, /body\.queueFrames/],
    ] as const) {
      const answer = await post('/links/plc:dc1', spec);
      expect(answer.status).toBe(400);
      expect(answer.body.error?.message).toMatch(field);
    }
    const big = await post('/inject', { from: 'hes', to: 'dc1', hex: 'ab'.repeat(LIMITS.frameBytes + 1) });
    expect(big.status).toBe(400);
    expect(big.body.error?.message).toMatch(/body\.hex/);
  });

  it(`keeps at most ${LIMITS.interceptors} interceptors`, async () => {
    for (let i = 0; i < LIMITS.interceptors; i++) bench.control.addInterceptor({ id: `idle-${i}`, type: 'drop', match: { class: 'none' } });
    const over = await post('/interceptors', { id: 'one-too-many', type: 'drop' });
    expect(over.status).toBe(400);
    expect(over.body.error?.message).toMatch(/^interceptors: at most 256/);
    expect((await post('/reset', {})).status).toBe(204);
    expect(await interceptorIds()).toEqual([]);
  });
});
