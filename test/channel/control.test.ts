import { afterEach, describe, expect, it } from 'vitest';
import { SEGMENT_BROADCAST } from '../../core/transport';
import { ChannelError } from '../../channel/control';
import type { TapEvent } from '../../channel/taps';
import { ControlConfigError, startControlServer } from '../../channel/control-http';
import { InterceptorConfigError } from '../../channel/interceptor';
import { ProfileError } from '../../channel/profile';
import { classFrame, seqOf, virtualBench } from './helpers';
import { waitFor, zmqWire } from './wire-bench';

describe('control API object (in process)', () => {
  it('lists links with their members and effective profiles, and the presets', () => {
    const b = virtualBench({ dcs: 2, tns: 2, plc: { preset: 'g3-plc-cenelec-a', loss: { p: 0.1 } } });
    const links = b.control.links();
    expect(links.map((l) => l.name)).toEqual(['wan:dc1', 'plc:dc1', 'wan:dc2', 'plc:dc2']);
    const plc = links.find((l) => l.name === 'plc:dc1')!;
    expect(plc.members).toEqual(['dc1', 'tn1.001', 'tn1.002']);
    expect(plc.profile).toMatchObject({ maxPsdu: 239, duplex: 'half', loss: { model: 'bernoulli', p: 0.1 } });
    expect(Object.keys(b.control.presets())).toEqual(
      expect.arrayContaining(['pass-through', 'g3-plc-cenelec-a', 'g3-plc-cenelec-a-robo', 'prime-1.3-cenelec-a', 'gprs', 'dsl', 'lan']),
    );
  });

  it('changes a link profile at run time and resets it to the configured one', async () => {
    const b = virtualBench({});
    b.control.setProfile('plc:dc1', { bitRate: 8000, overheadBytes: 10 });
    b.t('tn1.001').send('dc1', classFrame(0x11, 1, 90));
    await b.clock.run();
    expect(b.at('dc1')[0]!.at).toBe(100);
    b.control.reset();
    b.t('tn1.001').send('dc1', classFrame(0x11, 2, 90));
    await b.clock.run();
    const second = b.at('dc1')[1]!;
    expect(second.at - second.sentAt).toBe(0);
  });

  it('refines the present profile with a few fields, and replaces it when a preset is named', () => {
    const b = virtualBench({ plc: { preset: 'g3-plc-cenelec-a', loss: { p: 0.1 } } });
    const g3 = b.control.links().find((l) => l.name === 'plc:dc1')!.profile;
    expect(b.control.setProfile('plc:dc1', { loss: { p: 0 } })).toEqual({ ...g3, loss: { model: 'bernoulli', p: 0 } });
    expect(b.control.setProfile('plc:dc1', { latencyMs: 7 })).toEqual({ ...g3, loss: { model: 'bernoulli', p: 0 }, latencyMs: 7 });
    expect(b.control.setProfile('plc:dc1', { preset: 'lan' })).toEqual(b.control.presets()['lan']);
  });

  it('refuses bad profiles and unknown links with errors naming the field', () => {
    const b = virtualBench({});
    expect(() => b.control.setProfile('plc:dc9', {})).toThrow(ChannelError);
    expect(() => b.control.setProfile('plc:dc1', { preset: 'wifi' })).toThrow(/links\.plc:dc1\.preset: unknown preset "wifi"/);
    expect(() => b.control.setProfile('plc:dc1', { loss: { p: 2 } })).toThrow(ProfileError);
    expect(() => b.control.setProfile('plc:dc1', { loss: { p: 2 } })).toThrow(/links\.plc:dc1\.loss\.p/);
    expect(() => b.control.addInterceptor({ type: 'teleport' })).toThrow(InterceptorConfigError);
    expect(() => b.control.addInterceptor({ type: 'delay', config: { ms: -1 } })).toThrow(/config\.ms/);
    expect(() => b.control.addInterceptor({ type: 'drop', match: { link: 3 } } as never)).toThrow(/match\.link/);
  });

  it('taps every frame on the wire, node frames and injected ones, with link, direction and class', async () => {
    const b = virtualBench({});
    const seen: TapEvent[] = [];
    const untap = b.control.tap((e) => seen.push(e));
    b.t('tn1.001').send('dc1', classFrame(0x11, 1));
    b.control.inject({ from: 'dc1', to: SEGMENT_BROADCAST, bytes: classFrame(0x13, 2) });
    await b.clock.run();
    expect(seen.map((e) => [e.link, e.direction, e.from, e.to, e.className, e.injectedBy])).toEqual([
      ['plc:dc1', 'up', 'tn1.001', 'dc1', 'meter-response', undefined],
      ['plc:dc1', 'down', 'dc1', '*', 'automation', 'control'],
    ]);
    expect(b.at('tn1.003').map((r) => [r.from, seqOf(r.frame)])).toEqual([['dc1', 2]]);
    untap();
    b.t('tn1.001').send('dc1', classFrame(0x11, 3));
    await b.clock.run();
    expect(seen).toHaveLength(2);
  });

  it('runs custom interceptors written in code: re-routing, forging, counting', async () => {
    const b = virtualBench({});
    // An attacker who redirects every confidential message for tn1.001 to tn1.002 instead.
    const info = b.control.addCustomInterceptor(
      (frame, ctx) => {
        ctx.drop(frame);
        ctx.inject({ from: frame.from, to: 'tn1.002', bytes: frame.bytes });
      },
      { id: 'redirect', match: { to: 'tn1.001', class: 'confidential' } },
    );
    b.t('dc1').send('tn1.001', classFrame(0x12, 1));
    b.t('dc1').send('tn1.001', classFrame(0x10, 2));
    await b.clock.run();
    expect(b.at('tn1.001').map((r) => seqOf(r.frame))).toEqual([2]);
    expect(b.at('tn1.002').map((r) => seqOf(r.frame))).toEqual([1]);
    expect(b.control.interceptor('redirect')!.stats).toMatchObject({ matched: 1, dropped: 1, injected: 1 });
    expect(info.type).toBe('custom');
    expect(() => b.control.addCustomInterceptor(() => {}, { id: 'redirect' })).toThrow(/already exists/);
  });

  it('passes a frame on when an interceptor throws, and orders the chain by insertion', async () => {
    const b = virtualBench({});
    const order: string[] = [];
    b.control.addCustomInterceptor(() => {
      order.push('broken');
      throw new Error('bug');
    });
    b.control.addCustomInterceptor((f, ctx) => {
      order.push('second');
      ctx.forward(f);
    });
    b.t('tn1.001').send('dc1', classFrame(0x11, 1));
    await b.clock.run();
    expect(order).toEqual(['broken', 'second']);
    expect(b.at('dc1')).toHaveLength(1);
  });
});

describe('control API over HTTP', () => {
  let bench: Awaited<ReturnType<typeof zmqWire>> | undefined;
  afterEach(async () => {
    await bench?.close();
    bench = undefined;
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${bench!.broker.controlUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  it('lists, adds and removes interceptors and profiles while frames flow', async () => {
    bench = await zmqWire({ control: true });
    expect(bench.broker.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call('GET', '/links')).body).toHaveLength(2);
    const added = await call('POST', '/interceptors', { id: 'd1', type: 'drop', match: { class: 'automation' } });
    expect(added.status).toBe(201);
    bench.t('dc1').send('tn1.001', classFrame(0x13, 1));
    bench.t('dc1').send('tn1.001', classFrame(0x10, 2));
    await waitFor(() => bench!.received.length === 1, 'unmatched frame');
    expect((await call('GET', '/interceptors/d1')).body).toMatchObject({ id: 'd1', stats: { dropped: 1 } });
    expect((await call('DELETE', '/interceptors/d1')).status).toBe(204);
    expect((await call('DELETE', '/interceptors/d1')).status).toBe(404);
    const set = await call('POST', '/links/plc:dc1', { preset: 'g3-plc-cenelec-a' });
    expect(set.body).toMatchObject({ profile: { maxPsdu: 239 } });
    // A few fields refine the link's profile, as an override in a config file refines its preset.
    const refined = await call('POST', '/links/plc:dc1', { loss: { p: 0 } });
    expect(refined.body).toMatchObject({ profile: { maxPsdu: 239, duplex: 'half', retries: 3, loss: { model: 'bernoulli', p: 0 } } });
    expect((refined.body!.profile as { bitRate: number }).bitRate).toBeGreaterThan(0);
    expect((await call('POST', '/inject', { from: 'hes', to: 'dc1', hex: '0112aa' })).status).toBe(202);
    await waitFor(() => bench!.at('dc1').length === 1, 'injected frame');
    expect(bench.at('dc1')[0]!.from).toBe('hes');
    expect((await call('POST', '/reset')).status).toBe(204);
    expect((await call('GET', '/links/plc:dc1')).body).toMatchObject({ profile: { maxPsdu: null } });
    expect((await call('GET', '/stats')).body).toHaveProperty('links.plc:dc1.down.framesOffered', 2);
    expect(((await call('GET', '/interceptor-types')).body as unknown as { name: string }[]).map((t) => t.name)).toEqual(
      expect.arrayContaining(['drop', 'delay', 'duplicate', 'replay', 'reorder', 'tamper', 'inject', 'jam']),
    );
  });

  it('answers bad requests with a code and a message naming the field', async () => {
    bench = await zmqWire({ control: true });
    const bad = await call('POST', '/interceptors', { type: 'delay', config: { ms: 'soon' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'InterceptorConfigError' } });
    expect(JSON.stringify(bad.body)).toMatch(/config\.ms/);
    expect((await call('POST', '/links/plc:dc1', { bitRate: -5 })).body).toMatchObject({ error: { code: 'BAD_PROFILE' } });
    expect((await call('POST', '/links/plc:zz', {})).status).toBe(404);
    expect((await call('GET', '/nothing')).status).toBe(404);
    const badJson = await fetch(`${bench.broker.controlUrl}/interceptors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(badJson.status).toBe(400);
  });

  it('requires a token when bound beyond loopback', async () => {
    bench = await zmqWire();
    await expect(startControlServer(bench.control, { host: '0.0.0.0', port: 0 })).rejects.toThrow(ControlConfigError);
    const server = await startControlServer(bench.control, { host: '0.0.0.0', port: 0, token: 's3cret' });
    try {
      const port = new URL(server.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/links`)).status).toBe(401);
      const ok = await fetch(`http://127.0.0.1:${port}/links`, { headers: { authorization: 'Bearer s3cret' } });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
