import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { Random } from '../../core/random';
import { ARDUINO_UNO } from '../../nodes/boards/layout';
import { VirtualFirmataDevice, type VirtualDeviceOptions } from '../../nodes/boards/virtual/firmata-device';
import { FirmataParser } from '../../nodes/boards/virtual/firmata-parser';

/** A raw Firmata client: bytes in, bytes out, each chunk stamped with the clock time it arrived. */
function rawClient(options: Partial<VirtualDeviceOptions> = {}) {
  const clock = new VirtualClock();
  const device = new VirtualFirmataDevice({
    id: 'raw',
    clock,
    random: new Random('raw'),
    bootMs: 100,
    relay: { out: 7, feedback: 8, closeMs: 10, openMs: 5 },
    load: null,
    ...options,
  });
  const received: Array<{ at: number; bytes: number[] }> = [];
  const session = device.attach({ write: (b) => received.push({ at: clock.now(), bytes: [...b] }), hangup: () => {} });
  const bytes = (): number[] => received.flatMap((r) => r.bytes);
  const send = async (...data: number[]): Promise<number[]> => {
    const from = bytes().length;
    session.receive(Uint8Array.from(data));
    await clock.advance(50);
    return bytes().slice(from);
  };
  return { clock, device, received, bytes, send };
}

const byteMs = 10_000 / 57_600;

describe('virtual Firmata device (protocol.md, Firmata 2.5)', () => {
  it('announces version and firmware after the boot delay, unasked, as StandardFirmata does', async () => {
    const { clock, received, bytes } = rawClient();
    await clock.advance(99);
    expect(received).toEqual([]);
    await clock.advance(50);
    const out = bytes();
    expect(out.slice(0, 3)).toEqual([0xf9, 2, 5]);
    expect(out.slice(3, 7)).toEqual([0xf0, 0x79, 2, 5]);
    const name = out.slice(7, -1);
    expect(String.fromCharCode(...name.filter((_, i) => i % 2 === 0))).toBe('GridbenchVirtualFirmata');
    expect(out.at(-1)).toBe(0xf7);
    // Serial timing: the version report is on the wire 3 byte times after boot.
    expect(received[0]!.at).toBeCloseTo(100 + 3 * byteMs, 9);
  });

  it('ignores bytes sent while the bootloader runs', async () => {
    const { send, clock, bytes } = rawClient();
    await send(0xf9);
    await clock.advance(200);
    expect(bytes().filter((b) => b === 0xf9)).toHaveLength(1);
  });

  it('answers the version request, capability, analog mapping and pin state queries with the Uno layout', async () => {
    const { clock, send } = rawClient();
    await clock.advance(200);
    expect(await send(0xf9)).toEqual([0xf9, 2, 5]);

    const caps = await send(0xf0, 0x6b, 0xf7);
    expect(caps.slice(0, 2)).toEqual([0xf0, 0x6c]);
    const pins = caps
      .slice(2, -1)
      .join(',')
      .split('127')
      .slice(0, -1)
      .map((p) => p.split(',').filter(Boolean).map(Number));
    expect(pins).toHaveLength(20);
    expect(pins[0]).toEqual([]);
    expect(pins[3]).toEqual([0, 1, 11, 1, 1, 1, 3, 8, 4, 14]);
    expect(pins[14]).toEqual([0, 1, 11, 1, 1, 1, 2, 10, 4, 14]);

    const mapping = await send(0xf0, 0x69, 0xf7);
    expect(mapping).toEqual([0xf0, 0x6a, ...Array(14).fill(127), 0, 1, 2, 3, 4, 5, 0xf7]);

    expect(await send(0xf0, 0x6d, 7, 0xf7)).toEqual([0xf0, 0x6e, 7, 1, 0, 0xf7]);
    expect(await send(0xf0, 0x6d, 14, 0xf7)).toEqual([0xf0, 0x6e, 14, 2, 0, 0xf7]);
    expect(await send(0xf0, 0x6d, 99, 0xf7)).toEqual([]);
  });

  it('sets pin modes, refuses modes a pin lacks, and reports the state written to outputs', async () => {
    const { clock, send, device } = rawClient();
    await clock.advance(200);
    await send(0xf4, 5, 3);
    expect(device.pinMode(5)).toBe(3);
    const refused = await send(0xf4, 4, 3);
    expect(String.fromCharCode(...refused.slice(2, -1).filter((_, i) => i % 2 === 0))).toBe('Unknown pin mode');
    expect(device.pinMode(4)).toBe(1);
    await send(0x90, 0b0010000, 0);
    expect(await send(0xf0, 0x6d, 4, 0xf7)).toEqual([0xf0, 0x6e, 4, 1, 1, 0xf7]);
    await send(0xf4, 2, 0x0b);
    expect(await send(0xf0, 0x6d, 2, 0xf7)).toEqual([0xf0, 0x6e, 2, 0x0b, 1, 0xf7]);
  });

  it('switches the relay by a digital port message and by SET_DIGITAL_PIN_VALUE, reporting the feedback port', async () => {
    const { clock, send, device, received } = rawClient();
    await clock.advance(200);
    await send(0xf4, 8, 0);
    expect(await send(0xd1, 1)).toEqual([0x91, 0, 0]);

    const before = received.length;
    const sentAt = clock.now();
    await send(0x90, 0, 1); // pin 7 is bit 0 of the second data byte
    expect(device.relayClosed).toBe(true);
    const report = received.slice(before);
    expect(report.map((r) => r.bytes)).toEqual([[0x91, 1, 0]]);
    // 3 bytes in, 10 ms operate time, 3 bytes out.
    expect(report[0]!.at - sentAt).toBeCloseTo(6 * byteMs + 10, 9);

    expect(await send(0xf5, 7, 0)).toEqual([0x91, 0, 0]);
    expect(device.relayClosed).toBe(false);
    // Inputs are not outputs: a value for the feedback pin does not move it.
    expect(await send(0xf5, 8, 1)).toEqual([]);
  });

  it('reports only changes of a reported port, and stops when reporting is switched off', async () => {
    const { clock, send } = rawClient();
    await clock.advance(200);
    await send(0xf4, 8, 0);
    await send(0xd1, 1);
    expect(await send(0xf5, 7, 1)).toEqual([0x91, 1, 0]);
    expect(await send(0xf5, 7, 1)).toEqual([]);
    await send(0xd1, 0);
    expect(await send(0xf5, 7, 0)).toEqual([]);
  });

  it('reports enabled analog channels at once and then every sampling interval', async () => {
    const { clock, send, received } = rawClient({
      analog: { channel: 0, fullScaleW: 2_000 },
      load: { meanW: 1_000, dailySwing: 0, noise: 0 },
    });
    await clock.advance(200);
    await send(0xf0, 0x7a, 100, 0, 0xf7);
    const from = received.length;
    await send(0xc0, 1);
    await clock.advance(1_000);
    const analog = received.slice(from).filter((r) => r.bytes[0] === 0xe0);
    expect(analog[0]!.bytes).toEqual([0xe0, 512 & 0x7f, 512 >> 7]);
    expect(analog.length).toBeGreaterThanOrEqual(10);
    expect(analog[2]!.at - analog[1]!.at).toBeCloseTo(100, 9);
    await send(0xc0, 0);
    const stopped = received.length;
    await clock.advance(500);
    expect(received.length).toBe(stopped);
  });

  it('resets pins and reporting on SYSTEM_RESET, opening the relay', async () => {
    const { clock, send, device } = rawClient();
    await clock.advance(200);
    await send(0xf5, 7, 1);
    expect(device.relayClosed).toBe(true);
    await send(0xf4, 8, 0);
    await send(0xff);
    expect(device.pinMode(8)).toBe(1);
    expect(device.relayClosed).toBe(false);
  });

  it('restarts with the port open on reset(): StandardFirmata defaults leave the feedback pin an output held low, so closing the relay before setting it up again shorts the feedback line', async () => {
    // The relay line wired straight back to the feedback pin: what a host that does not notice the reset would do.
    const { clock, send, device, bytes } = rawClient({ relay: { out: 7, feedback: 8, closeMs: 0, openMs: 0 } });
    await clock.advance(200);
    await send(0xf4, 8, 0);
    await send(0xf5, 7, 1);
    expect(device.relayClosed).toBe(true);
    expect(device.shorts).toBe(0);
    const before = bytes().length;
    device.reset();
    expect(device.pinMode(8)).toBe(0);
    await clock.advance(200);
    // announced again, unasked
    expect(bytes().slice(before, before + 3)).toEqual([0xf9, 2, 5]);
    expect(device.pinMode(8)).toBe(1);
    expect(device.relayClosed).toBe(false);
    await send(0xf5, 7, 1);
    expect(device.shorts).toBe(1);
  });

  it('pulses S0 at the rate of the load: 1 kW at 1000 imp/kWh is one pulse every 3.6 s', async () => {
    const { clock, send, received, device } = rawClient({
      s0: { input: 2, pulsesPerKWh: 1000 },
      load: { meanW: 1_000, dailySwing: 0, noise: 0, stepMs: 1_000 },
    });
    await clock.advance(200);
    await send(0xf4, 2, 0);
    await send(0xd0, 1);
    const from = received.length;
    await clock.advance(36_000);
    const rising = received.slice(from).filter((r) => r.bytes[0] === 0x90 && (r.bytes[1]! & 0b100) !== 0);
    expect(device.s0Pulses).toBe(10);
    expect(rising).toHaveLength(10);
    expect(rising[1]!.at - rising[0]!.at).toBeCloseTo(3_600, 6);
  });

  it('follows a seeded load profile: same seed, same pulses', async () => {
    const run = async (seed: string): Promise<number> => {
      const clock = new VirtualClock();
      const device = new VirtualFirmataDevice({
        id: seed,
        clock,
        random: new Random(seed),
        s0: { input: 2, pulsesPerKWh: 10_000 },
        load: { meanW: 800, stepMs: 10_000 },
      });
      await clock.advance(600_000);
      device.close();
      return device.s0Pulses;
    };
    const a = await run('site-a');
    expect(await run('site-a')).toBe(a);
    expect(await run('site-b')).not.toBe(a);
    // 10 minutes at about 800 W and 10 imp/Wh: roughly 1300 pulses.
    expect(a).toBeGreaterThan(600);
    expect(a).toBeLessThan(2_600);
  });

  it('refuses a harness on pins the Uno lacks', () => {
    const clock = new VirtualClock();
    expect(
      () => new VirtualFirmataDevice({ id: 'x', clock, random: new Random(1), layout: ARDUINO_UNO, relay: { out: 0, feedback: 8 } }),
    ).toThrow(/relay output pin 0/);
  });
});

describe('device-side Firmata framing', () => {
  it('splits messages across chunks, skips stray bytes, and lets a command byte cut a sysex off', () => {
    const seen: string[] = [];
    const parser = new FirmataParser({
      command: (c, d) => seen.push(`cmd ${c.toString(16)} ${d.join(',')}`),
      sysex: (d) => seen.push(`sysex ${d.join(',')}`),
    });
    parser.push(Uint8Array.from([0x05, 0x91, 0x01]));
    parser.push(Uint8Array.from([0x00, 0xf0, 0x6d, 0x07]));
    parser.push(Uint8Array.from([0xf7, 0xf0, 0x79, 0xf9, 0xd0, 0x01, 0x42, 0x99]));
    expect(seen).toEqual(['cmd 91 1,0', 'sysex 109,7', 'cmd f9 ', 'cmd d0 1']);
  });
});
