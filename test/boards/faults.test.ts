import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock, VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import type { RelayChange, StatusChange, TnBoard } from '../../nodes/boards/board';
import { SerialBoard } from '../../nodes/boards/serial-board';
import { VirtualBoard, virtualDeviceOptions } from '../../nodes/boards/virtual-board';
import { VirtualFirmataDevice } from '../../nodes/boards/virtual/firmata-device';
import { exposeOnPty, type PtyLink } from '../../nodes/boards/virtual/pty-link';
import { nextEvent, waitOnClock } from '../../core/clock-wait';
import { resolveWiring } from '../../nodes/boards/wiring';

const clock = new RealClock();
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function ptyDevice(id: string, muted = false): VirtualFirmataDevice {
  const wiring = resolveWiring(undefined, { tn: id, port: 'pty' });
  const device = new VirtualFirmataDevice(virtualDeviceOptions(id, wiring, { load: null, bootMs: 100 }, { clock, random: new Random(id) }));
  device.muted = muted;
  cleanup.push(() => device.close());
  return device;
}

async function pty(device: VirtualFirmataDevice, dir?: string): Promise<PtyLink> {
  const link = await exposeOnPty(device, clock, dir ? { dir } : {});
  cleanup.push(() => link.close());
  return link;
}

function serialBoard(tn: string, path: string, recorder: SampleRecorder, timing = {}): SerialBoard {
  const board = new SerialBoard(
    { kind: 'real', port: path, timing: { retryMinMs: 100, retryMaxMs: 400, attachTimeoutMs: 3_000, ...timing } },
    { tn, clock, random: new Random(tn), metrics: recorder.metrics(clock) },
  );
  cleanup.push(() => board.close());
  return board;
}

const statusOf = (board: TnBoard, status: StatusChange['status']): Promise<StatusChange> =>
  nextEvent<StatusChange>(
    (l) => board.onStatus(l),
    (c) => c.status === status,
  );

describe('board faults on a pty (johnny-five on a serial path)', () => {
  it('reports a missing port with its path, keeps retrying, and attaches when the port appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-missing-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'host');
    const recorder = new SampleRecorder();
    const board = serialBoard('tn1.010', path, recorder);
    expect(await board.ready()).toBe('failed');
    expect(board.lastError()?.code).toBe('PORT_MISSING');
    expect(board.lastError()?.message).toContain(`TN tn1.010, port ${path}`);
    const [down] = recorder.select('board', { tn: 'tn1.010', status: 'failed' });
    expect(down?.fields).toMatchObject({ up: 0, port: path });
    expect(String(down?.fields.error)).toContain('does not exist');
    // The TN keeps going: commands are accepted and remembered, nothing throws.
    expect(board.switchRelay(true, { sentAt: clock.now(), receivedAt: clock.now() })).toBe(false);

    const attached = statusOf(board, 'attached');
    await pty(ptyDevice('tn1.010'), dir);
    await waitOnClock(clock, attached, 10_000, 'attach after the port appeared');
    // The relay state asked for while the board was missing is applied once it is there.
    const closed = nextEvent<RelayChange>(
      (l) => board.onRelayChange(l),
      (c) => c.closed,
    );
    await waitOnClock(clock, closed, 5_000, 'remembered relay state applied');
    expect(recorder.select('board', { tn: 'tn1.010', status: 'failed' })).toHaveLength(1);
  });

  it('reports a pulled cable, keeps the TN running, and re-attaches when the cable is back', async () => {
    const device = ptyDevice('tn1.011');
    const link = await pty(device);
    const recorder = new SampleRecorder();
    const board = serialBoard('tn1.011', link.path, recorder);
    expect(await waitOnClock(clock, board.ready(), 10_000, 'attach')).toBe('attached');

    const failed = statusOf(board, 'failed');
    await link.pull();
    const fault = await waitOnClock(clock, failed, 5_000, 'fault reported');
    expect(fault.error?.code).toBe('DISCONNECTED');
    expect(fault.error?.message).toContain(link.path);
    expect(board.switchRelay(true)).toBe(false);
    expect(board.relayState()).toBeUndefined();

    const back = statusOf(board, 'attached');
    await link.restore();
    const change = await waitOnClock(clock, back, 10_000, 're-attach');
    expect(change.reattached).toBe(true);
    await waitOnClock(
      clock,
      nextEvent<RelayChange>(
        (l) => board.onRelayChange(l),
        (c) => c.closed,
      ),
      5_000,
      'relay restored',
    );
    expect(device.relayClosed).toBe(true);
    const statuses = recorder.select('board', { tn: 'tn1.011' }).map((s) => s.tags.status);
    expect(statuses).toEqual(['attached', 'failed', 'reattached']);
  });

  it('reports a device that does not answer Firmata within the attach timeout, then attaches once it does', async () => {
    const device = ptyDevice('tn1.012', true);
    const link = await pty(device);
    const recorder = new SampleRecorder();
    // The pty device does not reboot when the host reopens it, so firmata-io has to ask for the
    // version: ask early, and leave the attach timeout ample room on a loaded machine.
    const board = serialBoard('tn1.012', link.path, recorder, { attachTimeoutMs: 3_000, reportVersionTimeoutMs: 200 });
    expect(await waitOnClock(clock, board.ready(), 10_000, 'first attempt')).toBe('failed');
    expect(board.lastError()?.code).toBe('NO_FIRMATA');
    expect(board.lastError()?.message).toContain(`port ${link.path}`);
    device.muted = false;
    expect((await waitOnClock(clock, statusOf(board, 'attached'), 15_000, 'attach once answering')).status).toBe('attached');
  });

  it('fails without retrying when the board lacks a wired pin, naming TN, port and pin', async () => {
    const link = await pty(ptyDevice('tn1.013'));
    const recorder = new SampleRecorder();
    const board = new SerialBoard(
      { kind: 'real', port: link.path, wiring: { relay: 40, feedback: 8 } },
      { tn: 'tn1.013', clock, random: new Random(1), metrics: recorder.metrics(clock) },
    );
    cleanup.push(() => board.close());
    expect(await waitOnClock(clock, board.ready(), 10_000, 'attach')).toBe('failed');
    const error = board.lastError();
    expect(error?.code).toBe('NO_SUCH_PIN');
    expect(error?.message).toBe(
      `TN tn1.013, port ${link.path}, pin 40: relay: the board (board running GridbenchVirtualFirmata) has no pin 40 (pins 0..19)`,
    );
    await clock.sleep(300);
    expect(board.status()).toBe('failed');
  });
});

describe('board faults in memory on a VirtualClock', () => {
  it('retries with growing backoff on the node clock while unplugged and re-attaches when plugged', async () => {
    const vclock = new VirtualClock();
    const recorder = new SampleRecorder();
    const board = new VirtualBoard(
      { kind: 'virtual', device: { load: null, bootMs: 50 }, timing: { retryMinMs: 500, retryMaxMs: 30_000 } },
      { tn: 'tn2.001', clock: vclock, random: new Random(7), metrics: recorder.metrics(vclock) },
    );
    try {
      expect(await waitOnClock(vclock, board.ready(), 1_000, 'attach')).toBe('attached');
      const attempts: number[] = [];
      board.onStatus((c) => c.status === 'attaching' && attempts.push(c.at));
      const fault = statusOf(board, 'failed');
      const unpluggedAt = vclock.now();
      board.device.unplug();
      await vclock.advance(10_000);
      expect((await fault).error?.code).toBe('DISCONNECTED');
      expect(board.status()).toBe('failed');
      expect(board.lastError()?.message).toBe('TN tn2.001, port virtual:tn2.001: the virtual board is unplugged');
      const gaps = attempts.map((t, i) => t - (i === 0 ? unpluggedAt : attempts[i - 1]!));
      expect(gaps.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
      expect(recorder.select('board', { tn: 'tn2.001', status: 'failed' })).toHaveLength(1);

      board.device.plug();
      const back = await waitOnClock(vclock, statusOf(board, 'attached'), 60_000, 're-attach');
      expect(back.reattached).toBe(true);
    } finally {
      await board.close();
    }
  });

  it('keeps working when a listener throws', async () => {
    const vclock = new VirtualClock();
    const board = new VirtualBoard(
      { kind: 'virtual', device: { load: null, bootMs: 50 } },
      { tn: 'tn2.002', clock: vclock, random: new Random(8), metrics: new SampleRecorder().metrics(vclock) },
    );
    try {
      await waitOnClock(vclock, board.ready(), 1_000, 'attach');
      board.onRelayChange(() => {
        throw new Error('a buggy listener');
      });
      const seen = nextEvent<RelayChange>((l) => board.onRelayChange(l));
      board.switchRelay(true);
      expect((await waitOnClock(vclock, seen, 1_000, 'feedback')).closed).toBe(true);
      expect(board.status()).toBe('attached');
    } finally {
      await board.close();
    }
  });
});
