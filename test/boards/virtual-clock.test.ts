import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import type { RelayChange } from '../../nodes/boards/board';
import { boardMeterSource } from '../../nodes/boards/meter-source';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { nextEvent, waitOnClock } from '../../core/clock-wait';

describe('virtual board on a VirtualClock', () => {
  it('attaches through johnny-five and reports a relay switch at the modelled time', async () => {
    const clock = new VirtualClock();
    const recorder = new SampleRecorder();
    const board = new VirtualBoard(
      { kind: 'virtual', device: { load: null, bootMs: 100, closeMs: 10, openMs: 5 } },
      { tn: 'tn1.001', clock, random: new Random(1), metrics: recorder.metrics(clock) },
    );
    try {
      expect(await waitOnClock(clock, board.ready(), 5_000, 'attach')).toBe('attached');
      // Let the pin setup johnny-five sent on attach clear the serial line.
      await clock.advance(100);
      const change = nextEvent<RelayChange>((l) => board.onRelayChange(l));
      const sentAt = clock.now() - 40;
      const receivedAt = clock.now() - 3;
      const issuedAt = clock.now();
      expect(board.switchRelay(true, { sentAt, receivedAt })).toBe(true);
      const seen = await waitOnClock(clock, change, 1_000, 'feedback');
      // 3 bytes each way at 57600 baud (10 bits a byte) plus the 10 ms operate time.
      const byteMs = 10_000 / 57_600;
      expect(seen.closed).toBe(true);
      expect(seen.seenAt - issuedAt).toBeCloseTo(3 * byteMs + 10 + 3 * byteMs, 9);
      expect(board.relayState()).toBe(true);
      expect(board.device.relayClosed).toBe(true);
      const [sample] = recorder.select('relay_switch', { tn: 'tn1.001', board: 'virtual' });
      expect(sample?.fields.latency_ms).toBeCloseTo(seen.seenAt - sentAt, 9);
      expect(sample?.fields.processing_ms).toBe(3);
      expect(sample?.fields.state).toBe(true);
    } finally {
      await board.close();
    }
  });
});

describe('virtual board meter and status LED on a VirtualClock', () => {
  it('counts every S0 pulse the meter emits through johnny-five, and reads the load on the analog input', async () => {
    const clock = new VirtualClock();
    const board = new VirtualBoard(
      {
        kind: 'virtual',
        wiring: { analog: 'A0', pulsesPerKWh: 1000 },
        device: { load: { meanW: 1_000, dailySwing: 0, noise: 0 }, analogFullScaleW: 4_000, bootMs: 50 },
      },
      { tn: 'tn1.004', clock, random: new Random(4), metrics: new SampleRecorder().metrics(clock) },
    );
    try {
      expect(await waitOnClock(clock, board.ready(), 5_000, 'attach')).toBe('attached');
      await clock.advance(100);
      expect(board.device.pinState(13)).toBe(1);
      const start = board.device.s0Pulses;
      await clock.advance(3_600_000);
      const reading = board.readMeter();
      // One kWh at 1000 imp/kWh; the host saw every pulse emitted while it was attached.
      expect(board.device.s0Pulses - start).toBe(1000);
      expect(reading.pulses).toBe(board.device.s0Pulses - start);
      expect(reading.energyWh).toBe(1000);
      expect(boardMeterSource(board, 5_000).registers()).toEqual([[1, 6_000]]);
      expect(reading.analog).toBe(Math.round((1_000 / 4_000) * 1023));
    } finally {
      await board.close();
    }
  });
});
