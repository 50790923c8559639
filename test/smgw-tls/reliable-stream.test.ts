import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { Random } from '../../core/random';
import { TlsChannelError } from '../../nodes/smgw-tls/errors';
import type { DepartureListener } from '../../core/transport';
import { DEFAULT_RELIABLE_OPTIONS, ReliableStream, type Segment, type SegmentMeta } from '../../nodes/smgw-tls/reliable-stream';
import { FLAG } from '../../nodes/smgw-tls/tls-frame';

interface Impairment {
  loss?: number;
  duplicate?: number;
  /** Extra random delay (ms), which reorders segments. */
  jitterMs?: number;
  cut?: boolean;
}

/** Two streams joined by a link that loses, duplicates and reorders segments, on a virtual clock. */
function pair(impairment: Impairment = {}, seed = 1) {
  const clock = new VirtualClock();
  const random = new Random(seed, 'link');
  const options = { ...DEFAULT_RELIABLE_OPTIONS, mss: 200, initialRtoMs: 500, minRtoMs: 200 };
  const ends: ReliableStream[] = [];
  const link = (to: () => ReliableStream) => (segment: Segment, _meta: SegmentMeta, departed?: DepartureListener) => {
    departed?.(clock.now());
    if (impairment.cut || random.chance(impairment.loss ?? 0)) return;
    const copies = random.chance(impairment.duplicate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) clock.setTimer(10 + random.float() * (impairment.jitterMs ?? 0), () => to().receive(segment));
  };
  ends.push(
    new ReliableStream(
      clock,
      link(() => ends[1]!),
      options,
    ),
  );
  ends.push(
    new ReliableStream(
      clock,
      link(() => ends[0]!),
      options,
    ),
  );
  return { clock, a: ends[0]!, b: ends[1]! };
}

function collect(stream: ReliableStream): { bytes: () => Buffer; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => (ended = true));
  return { bytes: () => Buffer.concat(chunks), ended: () => ended };
}

describe('reliable stream under TLS', () => {
  it('delivers every byte once and in order both ways on a clean link, then closes with FIN', async () => {
    const { clock, a, b } = pair();
    const atB = collect(b);
    const atA = collect(a);
    const up = randomBytes(5_000);
    const down = randomBytes(3_000);
    a.write(up);
    b.write(down);
    a.end();
    b.end();
    await clock.run();
    expect(atB.bytes().equals(up)).toBe(true);
    expect(atA.bytes().equals(down)).toBe(true);
    expect(atB.ended() && atA.ended()).toBe(true);
    expect(a.stats.retransmissions + b.stats.retransmissions).toBe(0);
  });

  it.each<[string, Impairment]>([
    ['20% loss', { loss: 0.2 }],
    ['duplicates', { duplicate: 0.3 }],
    ['reordering', { jitterMs: 300 }],
    ['all three', { loss: 0.15, duplicate: 0.2, jitterMs: 200 }],
  ])('repairs %s: the byte stream arrives intact and the repairs are counted', async (_name, impairment) => {
    for (const seed of [1, 2, 3]) {
      const { clock, a, b } = pair(impairment, seed);
      const atB = collect(b);
      const data = randomBytes(20_000);
      // In pieces of odd sizes, as TLS writes records.
      for (let at = 0; at < data.length; at += 1_337) a.write(data.subarray(at, at + 1_337));
      await clock.run(600_000);
      expect(atB.bytes().length).toBe(data.length);
      expect(atB.bytes().equals(data)).toBe(true);
      expect(a.pendingBytes).toBe(0);
      if (impairment.loss) expect(a.stats.retransmissions).toBeGreaterThan(0);
      if (impairment.duplicate) expect(b.stats.duplicatesReceived).toBeGreaterThan(0);
      a.destroy();
      b.destroy();
      await clock.run();
    }
  });

  it('gives up on a dead link with a TIMEOUT error after the configured retransmissions', async () => {
    const { clock, a } = pair({ cut: true });
    let error: unknown;
    a.on('error', (e) => (error = e));
    a.write(Buffer.from('hello'));
    await clock.run();
    expect(error).toBeInstanceOf(TlsChannelError);
    expect((error as TlsChannelError).code).toBe('TIMEOUT');
    expect(a.stats.retransmissions).toBe(DEFAULT_RELIABLE_OPTIONS.maxRetransmits);
  });

  it('a reset from the peer ends the stream with a RESET error, and a discarded stream says nothing', async () => {
    const { clock, a, b } = pair();
    let error: unknown;
    b.on('error', (e) => (error = e));
    a.write(Buffer.from('x'));
    await clock.run();
    a.destroy();
    await clock.run();
    expect((error as TlsChannelError).code).toBe('RESET');
    const quiet = pair();
    let heard = 0;
    quiet.b.on('error', () => heard++);
    quiet.a.write(Buffer.from('y'));
    await quiet.clock.run();
    quiet.a.discard();
    await quiet.clock.run();
    expect(heard).toBe(0);
    expect(quiet.b.destroyed).toBe(false);
  });

  it('ignores acknowledgements of bytes never sent (forged or from another connection)', async () => {
    const { clock, a, b } = pair();
    const atB = collect(b);
    a.write(Buffer.from('abc'));
    a.receive({ flags: 0, seq: 0, ack: 1_000_000, payload: new Uint8Array(0) });
    await clock.run();
    expect(atB.bytes().toString()).toBe('abc');
    expect(a.pendingBytes).toBe(0);
  });

  it('tells what it made of each segment: new data, a duplicate, or data beyond its window', async () => {
    const clock = new VirtualClock();
    const stream = new ReliableStream(clock, () => {}, { ...DEFAULT_RELIABLE_OPTIONS, mss: 200, reorderBufferBytes: 1_000 });
    const got = collect(stream);
    const seg = (seq: number, text = '') => ({ flags: 0, seq, ack: 0, payload: Buffer.from(text) });
    expect(stream.receive(seg(0, 'abc'))).toBe('accepted');
    expect(stream.receive(seg(0, 'abc'))).toBe('duplicate'); // replayed
    expect(stream.receive(seg(6, 'ghi'))).toBe('accepted'); // ahead of a gap: kept
    expect(stream.receive(seg(6, 'ghi'))).toBe('duplicate');
    expect(stream.receive(seg(5_000, 'zzz'))).toBe('out-of-window');
    expect(stream.receive(seg(3, 'def'))).toBe('accepted'); // fills the gap
    expect(stream.receive(seg(0))).toBe('duplicate'); // an acknowledgement of nothing new
    expect(stream.receive({ flags: 0, seq: 9, ack: 77, payload: new Uint8Array(0) })).toBe('out-of-window'); // acks bytes never sent
    await clock.run();
    expect(got.bytes().toString()).toBe('abcdefghi');
    stream.destroy();
  });

  it('holds new data while the node computes, but not its acknowledgements', async () => {
    const clock = new VirtualClock();
    const sent: Array<{ at: number; bytes: number }> = [];
    const stream = new ReliableStream(
      clock,
      (s, _meta, departed) => (departed?.(clock.now()), sent.push({ at: clock.now(), bytes: s.payload.length })),
      {
        ...DEFAULT_RELIABLE_OPTIONS,
        mss: 200,
        ackDelayMs: 50,
      },
    );
    stream.resume();
    const writes: number[] = [];
    stream.onWrite = (n) => {
      writes.push(n);
      stream.holdOutput(1_200);
    };
    stream.receive({ flags: 0, seq: 0, ack: 0, payload: Buffer.from('flight') });
    stream.write(Buffer.from('answer'));
    await clock.run(2_000);
    expect(writes).toEqual([6]);
    expect(sent).toEqual([
      { at: 50, bytes: 0 }, // the delayed acknowledgement
      { at: 1_200, bytes: 6 }, // the answer, once the CPU is done
    ]);
    stream.destroy();
  });

  describe('as the TCP of a smart meter gateway (tcp-parameters.ts)', () => {
    /**
     * One stream whose segments are recorded, with the time each was handed over. Each leaves the
     * node `queueMs` later (the wait in its own transmit queue): `at` is then its departure.
     */
    function recorded(overrides: Partial<typeof DEFAULT_RELIABLE_OPTIONS> = {}, queueMs = 0) {
      const clock = new VirtualClock();
      const sent: Array<{ at: number; flags: number; seq: number; bytes: number; retransmission: boolean }> = [];
      const stream = new ReliableStream(
        clock,
        (s, meta, departed) => {
          sent.push({ at: clock.now(), flags: s.flags, seq: s.seq, bytes: s.payload.length, retransmission: meta.retransmission });
          if (queueMs === 0) departed?.(clock.now());
          else clock.setTimer(queueMs, () => departed?.(clock.now()));
        },
        { ...DEFAULT_RELIABLE_OPTIONS, mss: 200, ...overrides },
      );
      stream.resume();
      stream.on('error', () => {});
      return { clock, sent, stream };
    }
    const data = (seq: number, bytes: number, flags = 0) => ({ flags, seq, ack: 0, payload: new Uint8Array(bytes) });

    it('sends a flight of up to 10 segments at once (RFC 6928), PSH on the last', async () => {
      const { clock, sent, stream } = recorded();
      stream.write(Buffer.alloc(2_500));
      await clock.run(10);
      expect(sent.map((s) => [s.at, s.bytes])).toEqual([...Array.from({ length: 10 }, () => [0, 200])]);
      stream.receive({ flags: 0, seq: 0, ack: 2_000, payload: new Uint8Array(0) });
      await clock.run(10);
      expect(sent.slice(10).map((s) => [s.bytes, s.flags])).toEqual([
        [200, 0],
        [200, 0],
        [100, FLAG.psh],
      ]);
      expect(sent.slice(0, 10).every((s) => s.flags === 0)).toBe(true);
      stream.destroy();
    });

    it('acknowledges every second full segment and the end of a flight at once, a lone segment after the delay', async () => {
      const { clock, sent, stream } = recorded({ ackDelayMs: 200 });
      stream.receive(data(0, 200));
      await clock.advance(50);
      expect(sent).toEqual([]); // one full segment: the acknowledgement waits
      stream.receive(data(200, 200));
      await clock.advance(50);
      expect(sent.map((s) => [s.at, s.bytes])).toEqual([[50, 0]]); // the second: at once
      stream.receive(data(400, 80, FLAG.psh));
      await clock.advance(50);
      expect(sent.length).toBe(2); // the end of the flight: at once
      stream.receive(data(480, 200));
      await clock.advance(1_000);
      expect(sent.map((s) => s.at)).toEqual([50, 100, 350]); // a lone segment: after 200 ms
      stream.destroy();
    });

    it('lets an answer written in the same turn carry the acknowledgement of a flight', async () => {
      const { clock, sent, stream } = recorded();
      stream.on('data', () => stream.write(Buffer.from('answer')));
      stream.receive(data(0, 120, FLAG.psh));
      await clock.run(1_000);
      expect(sent.map((s) => [s.bytes, s.seq])).toEqual([[6, 0]]);
      stream.destroy();
    });

    it('times out at 16 s before a sample, backs off by doubling up to 60 s, and takes no sample from a retransmission (Karn)', async () => {
      const { clock, sent, stream } = recorded({ maxRetransmits: 3 });
      stream.write(Buffer.from('hello'));
      await clock.run(200_000);
      expect(sent.filter((s) => s.bytes > 0).map((s) => s.at)).toEqual([0, 16_000, 48_000, 108_000]);
      const karn = recorded();
      karn.stream.write(Buffer.from('a'));
      await karn.clock.run(16_500); // one retransmission at 16 s
      karn.stream.receive({ flags: 0, seq: 0, ack: 1, payload: new Uint8Array(0) }); // acknowledged 500 ms later
      karn.stream.write(Buffer.from('b'));
      await karn.clock.run(100_000);
      // no sample from the retransmitted segment: the next timeout is the initial one again, not 3 x 500 ms
      const b = karn.sent.filter((s) => s.seq === 1 && s.bytes > 0).map((s) => s.at - 16_500);
      expect(b).toEqual([0, 16_000, 48_000]);
      karn.stream.destroy();
    });

    it('times a segment from when it leaves the node, not from when it joined its transmit queue', async () => {
      // Each segment waits 3 s in the node's own queue (behind a storm's frames on the segment).
      const { clock, sent, stream } = recorded({}, 3_000);
      stream.write(Buffer.from('a'));
      await clock.run(3_400); // left at 3 s, acknowledged 400 ms later: a 400 ms sample, RTO 1.2 s
      stream.receive({ flags: 0, seq: 0, ack: 1, payload: new Uint8Array(0) });
      stream.write(Buffer.from('b'));
      await clock.run(20_000);
      // 'b' is handed over at 3.4 s and leaves at 6.4 s; the copy goes 1.2 s after that, not 1.2 s
      // after it was queued (which would put a second copy in the queue before the first left),
      // and leaves 3 s later again; the backed-off timer (2.4 s) runs from then.
      expect(sent.filter((s) => s.seq === 1 && s.bytes > 0).map((s) => s.at - 3_400)).toEqual([0, 4_200, 9_600]);
      stream.destroy();
    });

    it('after a clean sample the timeout follows the round trip (SRTT + 4 RTTVAR, at least 1 s)', async () => {
      const { clock, sent, stream } = recorded();
      stream.write(Buffer.from('a'));
      await clock.run(400);
      stream.receive({ flags: 0, seq: 0, ack: 1, payload: new Uint8Array(0) }); // sample 400 ms: RTO 400 + 4 x 200 = 1.2 s
      stream.write(Buffer.from('b'));
      await clock.run(5_000);
      expect(sent.filter((s) => s.seq === 1 && s.bytes > 0).map((s) => s.at - 400)).toEqual([0, 1_200, 3_600]);
      stream.destroy();
    });
  });
});
