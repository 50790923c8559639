import { describe, expect, it } from 'vitest';
import type { TapEvent } from '../../channel/taps';
import { signFrame } from '../../nodes/lean/frame-builders';
import { ALL_TNS } from '../../nodes/protocol/frame-fields';
import { MessageClass } from '../../nodes/protocol/message-class';
import { SEGMENT_BROADCAST } from '../../core/transport';
import type { AppMessage } from '../../nodes/smgw-tls/app-message';
import { decodeTlsFrame, encodeTlsFrame, type TlsFrame } from '../../nodes/smgw-tls/tls-frame';
import { attackerOn, refusals, tlsBench, type TlsBench } from './harness';

/**
 * Attacks on smgw-tls mode on the emulated wire, with the attack label a campaign gives them: every
 * refusal they cause is counted in `frame_rejected` with that label (the campaign runner's only
 * way to attribute refusals), nothing they carry is accepted, and the honest traffic carries on.
 */
const REPLAY = 'replay:fresh_authentic_DC';
const ALTER = 'alter:secure_HES_TN';
const FORGE = 'forgery:fresh_authentic_HES';

const tls = (bytes: Uint8Array): TlsFrame => {
  const decoded = decodeTlsFrame(bytes);
  if (!decoded.ok) throw new Error(`not a TlsRecord frame: ${decoded.detail}`);
  return decoded.value;
};
const carriesData = (event: TapEvent) => tls(event.bytes).payload.length > 0;

/** The frame with one payload byte flipped (TLS record header: 5 bytes, then the record's body). */
function flipPayloadByte(bytes: Uint8Array, at: (payload: Uint8Array) => number): Uint8Array {
  const frame = tls(bytes);
  const payload = frame.payload.slice();
  payload[at(payload)]! ^= 0x01;
  return encodeTlsFrame({ ...frame, payload });
}

/** The bench with its channels up, relay switches and HES messages recorded. */
async function upBench(options: { dcs?: number; tns?: number } = {}) {
  const switched: Array<{ tn: string; on: boolean }> = [];
  const bench = tlsBench({
    dcs: options.dcs ?? 2,
    tns: options.tns ?? 2,
    plc: 'pass-through',
    mode: { backoff: { firstMs: 2_000, maxMs: 2_000 } },
    setup: { relayFor: (tn) => ({ switchRelay: (on) => switched.push({ tn, on }) }) },
  });
  const atHes: Array<{ tn: string; message: AppMessage }> = [];
  bench.mode.hes.onMessage((tn, message) => atHes.push({ tn, message }));
  const report = await bench.clock.drive(bench.mode.bootstrap());
  if (report.failed.length) throw new Error(`bootstrap failed for ${report.failed.join(', ')}`);
  return { bench, switched, atHes };
}

const allUp = async (bench: TlsBench) => {
  await bench.clock.advance(30_000);
  for (const tn of bench.topology.tns) await bench.clock.drive(bench.mode.tn(tn).whenUp());
  await bench.clock.advance(1_000);
  expect(bench.mode.stats().channelsUp).toBe(bench.topology.tns.length);
};

describe('smgw-tls: honest traffic', () => {
  it('is never counted as an attack, on a lossy G3-PLC segment, through storms and a power cut', async () => {
    const bench = tlsBench({ tns: 4 });
    // No MAC retries: every loss is repaired by the streams, so duplicates reach both ends.
    bench.network.control.setProfile('plc:dc1', { preset: 'g3-plc-cenelec-a', loss: { model: 'bernoulli', p: 0.05 }, retries: 0 });
    expect((await bench.clock.drive(bench.mode.bootstrap())).enrolled).toBe(4);
    const round = await bench.clock.drive(bench.mode.meterRound(300_000));
    expect(round.responses).toBe(4);
    bench.mode.automation('dc1', { relay: 'on' });
    await bench.clock.drive(bench.mode.firmware({ version: 2, image: new Uint8Array(4_096).fill(7) }, 900_000));
    await bench.clock.drive(bench.mode.renegotiateAll('dc1', 'age'));
    await bench.clock.drive(bench.mode.powerRestored('dc1'));
    await bench.clock.advance(120_000);
    // The segment lost frames and the streams resent them; the duplicates and the late frames of
    // renegotiated connections are routine, not refusals, and nothing honest carries a label.
    const stats = bench.network.control.stats().links['plc:dc1']!;
    expect(stats.up.dropsLoss + stats.down.dropsLoss).toBeGreaterThan(0);
    expect(bench.mode.stats()).toMatchObject({ handshakes: 12, failedHandshakes: 0, lostChannels: 0, channelsUp: 4 });
    expect(refusals(bench)).toEqual([]);
    await bench.close();
  });
});

describe('smgw-tls: replayed TLS records', () => {
  it('a replayed command record is a stale segment at its TN and misaddressed anywhere else; nothing is accepted twice', async () => {
    const { bench, switched } = await upBench();
    const attacker = attackerOn(bench, REPLAY);
    const onSegment = attacker.record({ link: 'plc:dc1', direction: 'down', to: 'tn1.001', class: 'tls-record' });
    const onWan = attacker.record({ link: 'wan:dc1', direction: 'down', class: 'tls-record' });
    bench.mode.automation('dc1', { relay: 'on' });
    await bench.clock.advance(5_000);
    expect(switched).toEqual([
      { tn: 'tn1.001', on: true },
      { tn: 'tn1.002', on: true },
    ]);
    const command = onSegment.frames.find(carriesData)!;
    const commandOnWan = onWan.frames.find((e) => carriesData(e) && tls(e.bytes).tn === 'tn1.001')!;
    attacker.replay(command); // on its own segment, to its TN
    attacker.replay(commandOnWan); // to the DC, which routes it (label and all) to the TN
    attacker.replay(command, { from: 'dc1', to: 'tn1.002' }); // to another TN of the segment
    attacker.replay(command, { from: 'dc2', to: 'tn2.001' }); // to a TN of another segment
    await bench.clock.advance(5_000);
    expect(refusals(bench)).toEqual([
      { role: 'tn', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001', attack: REPLAY },
      { role: 'tn', reason: 'wrong-recipient', class: 'tls-record', tn: 'tn1.002', attack: REPLAY },
      { role: 'tn', reason: 'wrong-recipient', class: 'tls-record', tn: 'tn2.001', attack: REPLAY },
      { role: 'tn', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001', attack: REPLAY }, // the WAN copy, a hop later
    ]);
    expect(switched).toHaveLength(2);
    expect(bench.recorder.select('automation_latency')).toHaveLength(2);
    expect(bench.mode.stats().lostChannels).toBe(0);
    // The channels carry the next command.
    bench.mode.automation('dc1', { relay: 'off' });
    await bench.clock.advance(5_000);
    expect(switched.slice(2).map((s) => s.on)).toEqual([false, false]);
    await bench.close();
  });

  it('a replayed meter response is a stale segment at the HES, and a wrong sender on another WAN link', async () => {
    const { bench, atHes } = await upBench();
    const attacker = attackerOn(bench, 'replay:secure_TN_HES');
    const up = attacker.record({ link: 'plc:dc1', direction: 'up', from: 'tn1.001', class: 'tls-record' });
    expect((await bench.clock.drive(bench.mode.meterRound(60_000))).responses).toBe(4);
    const response = up.frames.filter(carriesData).at(-1)!;
    attacker.replay(response); // through the DC, which routes it to the HES
    attacker.replay(response, { from: 'dc2', to: 'hes' }); // on another DC's WAN link
    await bench.clock.advance(5_000);
    expect(refusals(bench)).toEqual([
      { role: 'hes', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001', attack: 'replay:secure_TN_HES' },
      { role: 'hes', reason: 'wrong-sender', class: 'tls-record', tn: 'tn1.001', attack: 'replay:secure_TN_HES' },
    ]);
    expect(atHes.filter((m) => m.tn === 'tn1.001' && m.message.type === 'meter-response')).toHaveLength(1);
    expect(bench.mode.stats().lostChannels).toBe(0);
    await bench.close();
  });

  it('records of a renegotiated connection, and a segment beyond the receive window, are stale', async () => {
    const { bench, switched, atHes } = await upBench({ dcs: 1 });
    const attacker = attackerOn(bench, REPLAY);
    const down = attacker.record({ link: 'plc:dc1', direction: 'down', to: 'tn1.001', class: 'tls-record' });
    const up = attacker.record({ link: 'plc:dc1', direction: 'up', from: 'tn1.001', class: 'tls-record' });
    bench.mode.automation('dc1', { relay: 'on' });
    await bench.clock.drive(bench.mode.meterRound(60_000));
    const oldCommand = down.frames.find(carriesData)!;
    const oldResponse = up.frames.filter(carriesData).at(-1)!;
    // Beyond the window of the live connection: its connection number is on the wire in the clear.
    const live = tls(oldCommand.bytes);
    attacker.inject('dc1', 'tn1.001', encodeTlsFrame({ ...live, seq: live.seq + 10_000_000 }));
    await bench.clock.advance(5_000);
    bench.mode.tn('tn1.001').renegotiate('age');
    await allUp(bench);
    attacker.replay(oldCommand);
    attacker.replay(oldResponse);
    await bench.clock.advance(5_000);
    expect(refusals(bench)).toEqual([
      { role: 'tn', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001', attack: REPLAY },
      { role: 'tn', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001', attack: REPLAY },
      { role: 'hes', reason: 'stale-counter', class: 'tls-record', tn: 'tn1.001', attack: REPLAY },
    ]);
    expect(switched).toHaveLength(2);
    expect(atHes.filter((m) => m.message.type === 'meter-response')).toHaveLength(2);
    expect(bench.mode.stats().lostChannels).toBe(0);
    await bench.close();
  });
});

describe('smgw-tls: altered TLS records', () => {
  it('an altered command record fails its MAC at the TN, attributed; the TN reconnects and takes the next command', async () => {
    const { bench, switched } = await upBench();
    const attacker = attackerOn(bench, ALTER);
    let altered = 0;
    const stop = attacker.intercept({ link: 'plc:dc1', direction: 'down', to: 'tn1.001', class: 'tls-record' }, (frame, ctx) => {
      if (altered === 0 && carriesData({ bytes: frame.bytes } as TapEvent)) {
        altered++;
        ctx.tamper(
          frame,
          flipPayloadByte(frame.bytes, (p) => p.length - 1),
        ); // the GCM tag's last byte
      } else ctx.forward(frame);
    });
    bench.mode.automation('dc1', { relay: 'on' });
    await bench.clock.advance(1_000);
    stop();
    expect(refusals(bench)).toEqual([{ role: 'tn', reason: 'decrypt-failed', class: 'tls-record', tn: 'tn1.001', attack: `${ALTER}:1` }]);
    expect(switched).toEqual([{ tn: 'tn1.002', on: true }]);
    expect(bench.mode.stats().lostChannels).toBe(1);
    await allUp(bench);
    bench.mode.automation('dc1', { relay: 'off' });
    await bench.clock.advance(5_000);
    expect(
      switched
        .slice(1)
        .map((s) => s.tn)
        .sort(),
    ).toEqual(['tn1.001', 'tn1.002']);
    expect(refusals(bench)).toHaveLength(1);
    await bench.close();
  });

  it('an altered meter response fails its MAC at the HES, attributed; the next round is complete', async () => {
    const { bench, atHes } = await upBench();
    const attacker = attackerOn(bench, 'alter:secure_TN_HES');
    let altered = 0;
    const stop = attacker.intercept({ link: 'plc:dc1', direction: 'up', from: 'tn1.001', class: 'tls-record' }, (frame, ctx) => {
      if (altered === 0 && carriesData({ bytes: frame.bytes } as TapEvent)) {
        altered++;
        ctx.tamper(
          frame,
          flipPayloadByte(frame.bytes, (p) => p.length - 20),
        ); // inside the ciphertext
      } else ctx.forward(frame);
    });
    const round = await bench.clock.drive(bench.mode.meterRound(10_000));
    stop();
    expect(round.missing).toEqual(['tn1.001']);
    expect(refusals(bench)).toEqual([
      { role: 'hes', reason: 'decrypt-failed', class: 'tls-record', tn: 'tn1.001', attack: 'alter:secure_TN_HES:1' },
    ]);
    expect(atHes.filter((m) => m.tn === 'tn1.001' && m.message.type === 'meter-response')).toEqual([]);
    await allUp(bench);
    expect((await bench.clock.drive(bench.mode.meterRound(60_000))).responses).toBe(4);
    expect(refusals(bench)).toHaveLength(1);
    await bench.close();
  });

  it.each([
    ['down', 'the ServerHello random: the HES signature over it fails at the TN'],
    ['up', 'the ClientHello random: the HES signs the altered one, which fails at the TN'],
  ] as const)('an altered handshake (%s, %s) is refused once, attributed; the channel comes back', async (direction, _what) => {
    const { bench } = await upBench({ dcs: 1 });
    const attacker = attackerOn(bench, ALTER);
    let altered = 0;
    const match = direction === 'down' ? { to: 'tn1.001' } : { from: 'tn1.001' };
    const stop = attacker.intercept({ link: 'plc:dc1', direction, class: 'tls-record', ...match }, (frame, ctx) => {
      const f = tls(frame.bytes);
      // The first record of each side's first flight: a handshake record (22) whose first message
      // is the ClientHello (1) or ServerHello (2); its random starts after 5 + 4 + 2 bytes.
      if (altered === 0 && f.seq === 0 && f.payload[0] === 22 && f.payload[5] === (direction === 'down' ? 2 : 1)) {
        altered++;
        ctx.tamper(
          frame,
          flipPayloadByte(frame.bytes, () => 5 + 4 + 2 + 7),
        );
      } else ctx.forward(frame);
    });
    bench.mode.tn('tn1.001').renegotiate('age');
    await bench.clock.advance(1_500);
    stop();
    expect(altered).toBe(1);
    // The whole first flight is in flight at once (initial window of 10 segments): a segment of it
    // that arrives after the TN gave up on the connection is refused as stale, attributed too.
    const refused = refusals(bench);
    expect(refused.filter((r) => r.reason === 'bad-signature')).toEqual([
      { role: 'tn', reason: 'bad-signature', class: 'tls-record', tn: 'tn1.001', attack: `${ALTER}:1` },
    ]);
    expect(refused.every((r) => r.attack === `${ALTER}:1` && ['bad-signature', 'stale-counter'].includes(r.reason))).toBe(true);
    expect(bench.recorder.select('handshake', { tn: 'tn1.001', kind: 'failed' })).toHaveLength(1);
    await allUp(bench);
    expect(refusals(bench)).toHaveLength(refused.length);
    expect((await bench.clock.drive(bench.mode.meterRound(60_000))).responses).toBe(2);
    await bench.close();
  });
});

describe('smgw-tls: forged and misaddressed frames', () => {
  it('every TLS node counts them with their label: lean-protocol frames, foreign addresses, garbage', async () => {
    const { bench, switched, atHes } = await upBench();
    const attacker = attackerOn(bench, FORGE);
    const request = signFrame(
      { cls: MessageClass.MeterRequest, hes: 'hes', group: ALL_TNS, counter: 9_999, request: 0 },
      attacker.keys.sign.secretKey,
      attacker.crypto,
    ).frame;
    const record = (tn: string) => encodeTlsFrame({ tn, conn: 7, flags: 0, seq: 0, ack: 0, payload: Uint8Array.of(22, 3, 3, 0, 1, 1) });
    attacker.inject('dc1', SEGMENT_BROADCAST, request); // a lean meter request on a TLS segment
    attacker.inject('hes', 'dc1', request); // and on the WAN, to the DC
    attacker.inject('dc1', 'hes', request); // and to the HES
    attacker.inject('tn1.001', 'dc1', record('tn1.002')); // a TN sending for another
    attacker.inject('hes', 'dc1', record('tn2.001')); // the HES sending through the wrong DC
    attacker.inject('dc1', 'hes', record('tn2.001')); // a DC routing for another DC's TN
    attacker.inject('dc1', 'hes', record('tn9.999')); // a TN nobody knows
    attacker.inject('dc1', 'tn1.001', Uint8Array.of(1, 0x20)); // a cut-off TLS frame
    await bench.clock.advance(5_000);
    const expected = [
      { role: 'tn', reason: 'unexpected-class', class: 'meter-request', tn: 'tn1.001' },
      { role: 'tn', reason: 'unexpected-class', class: 'meter-request', tn: 'tn1.002' },
      { role: 'dc', reason: 'unexpected-class', class: 'meter-request' },
      { role: 'hes', reason: 'unexpected-class', class: 'meter-request' },
      { role: 'dc', reason: 'wrong-sender', class: 'tls-record' },
      { role: 'dc', reason: 'wrong-recipient', class: 'tls-record' },
      { role: 'hes', reason: 'wrong-sender', class: 'tls-record', tn: 'tn2.001' },
      { role: 'hes', reason: 'unknown-sender', class: 'tls-record' },
      { role: 'tn', reason: 'truncated', class: 'tls-record', tn: 'tn1.001' },
    ].map((r) => ({ ...r, attack: FORGE }));
    const key = (r: object) => JSON.stringify(r);
    expect(refusals(bench).map(key).sort()).toEqual(expected.map(key).sort());
    expect(switched).toEqual([]);
    expect(atHes).toEqual([]);
    expect(bench.mode.stats().channelsUp).toBe(4);
    await bench.close();
  });
});
