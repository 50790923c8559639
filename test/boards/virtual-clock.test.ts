import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../nodes/runtime/clock';
import { SampleRecorder } from '../../nodes/runtime/metrics';
import { Random } from '../../nodes/runtime/random';
import type { RelayChange } from '../../nodes/boards/board';
import { VirtualBoard } from '../../nodes/boards/virtual-board';
import { nextEvent, waitOnClock } from '../../nodes/boards/wait-on-clock';

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
