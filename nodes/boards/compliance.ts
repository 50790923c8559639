import type { Clock } from '../../core/clock';
import { SampleRecorder, type Metrics } from '../../core/metrics';
import type { BoardStatus, CommandTiming, RelayChange, StatusChange, TnBoard } from './board';
import { nextEvent, pollOnClock, waitOnClock } from '../../core/clock-wait';

/**
 * The board compliance suite: what the TN relies on from any board, as plain async checks. The
 * vitest suites run it against the virtual board over the in-memory stream and over a pty, and
 * `gridbench boards check --port PATH` runs it against a real board on the lab bench. Checks run
 * in order on one board and never throw; a failed check says what it saw.
 */
export interface ComplianceTarget {
  readonly clock: Clock;
  /** Opens the board under test with the suite's metrics hook; the suite closes it. */
  open(metrics: Metrics): TnBoard;
  /** Clock ms allowed for the first attach (a real Uno boots for about 2 s after a port opens). */
  readonly attachTimeoutMs?: number;
  /** Clock ms allowed for a relay change to come back through the feedback input. */
  readonly feedbackTimeoutMs?: number;
  /** Clock ms to watch for changes nobody asked for after a repeated command. */
  readonly quietMs?: number;
  /** When set, the S0 input must count at least one pulse within this many clock ms. */
  readonly expectPulseWithinMs?: number;
  /**
   * Restarts the board with its port left open (a virtual device's or an emulated AVR's reset);
   * when given, the suite also checks that the board notices and comes back.
   */
  readonly reset?: () => void | Promise<void>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

type Check = (ctx: Context) => Promise<string>;

interface Context {
  readonly target: ComplianceTarget;
  readonly clock: Clock;
  readonly recorder: SampleRecorder;
  board: TnBoard | undefined;
  /** Per switch seen: the latency and processing time the relay_switch sample must carry. */
  readonly seen: Array<{ latency: number; processing: number; closed: boolean }>;
}

class CheckFailed extends Error {}

function expectThat(condition: unknown, detail: string): asserts condition {
  if (!condition) throw new CheckFailed(detail);
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

function attachedBoard(ctx: Context): TnBoard {
  expectThat(ctx.board?.status() === 'attached', 'board not attached');
  return ctx.board;
}

async function toggleTo(ctx: Context, closed: boolean): Promise<string> {
  const board = attachedBoard(ctx);
  const { clock } = ctx;
  // As if the command left its sender 5 ms ago and reached this TN 2 ms ago.
  const timing: CommandTiming = { sentAt: clock.now() - 5, receivedAt: clock.now() - 2 };
  const change = nextEvent<RelayChange>(
    (l) => board.onRelayChange(l),
    (c) => c.closed === closed,
  );
  const issuedAt = clock.now();
  expectThat(board.switchRelay(closed, timing), 'switchRelay returned false on an attached board');
  const seen = await waitOnClock(clock, change, ctx.target.feedbackTimeoutMs ?? 2_000, `relay ${closed ? 'close' : 'open'} feedback`);
  const boardIssuedAt = seen.command?.issuedAt ?? Number.NaN;
  expectThat(
    boardIssuedAt >= issuedAt && boardIssuedAt <= seen.seenAt,
    `issuedAt ${boardIssuedAt} is not the time of the switchRelay call`,
  );
  ctx.seen.push({ latency: seen.seenAt - timing.sentAt, processing: boardIssuedAt - timing.receivedAt, closed });
  expectThat(seen.seenAt >= issuedAt, `change seen at ${seen.seenAt}, before the switch was issued at ${issuedAt}`);
  expectThat(seen.command?.timing?.sentAt === timing.sentAt, 'the reported change does not carry the command that caused it');
  expectThat(board.relayState() === closed, `relayState() is ${String(board.relayState())} after the change`);
  return `johnny-five call to feedback ${fmt(seen.seenAt - issuedAt)}`;
}

const CHECKS: ReadonlyArray<readonly [string, Check]> = [
  [
    'attaches and reports its status',
    async (ctx) => {
      const board = ctx.target.open(ctx.recorder.metrics(ctx.clock));
      ctx.board = board;
      const status = await waitOnClock(ctx.clock, board.ready(), ctx.target.attachTimeoutMs ?? 15_000, 'attach');
      expectThat(status === 'attached', `status ${status}: ${board.lastError()?.message ?? 'no error given'}`);
      expectThat(board.status() === 'attached', `status() is ${board.status()}`);
      const [sample] = ctx.recorder.select('board', { tn: board.tn, status: 'attached' });
      expectThat(sample?.fields.up === 1 && sample.fields.port === board.port, 'no `board` sample with up=1 and the port');
      return `${board.kind} board on ${board.port}`;
    },
  ],
  [
    'reports the relay state from its feedback input',
    async (ctx) => {
      const board = attachedBoard(ctx);
      const reported = await pollOnClock(ctx.clock, () => board.relayState() !== undefined, ctx.target.feedbackTimeoutMs ?? 2_000, 10);
      expectThat(reported, 'no feedback report after attaching (feedback input wired?)');
      return `relay ${board.relayState() ? 'closed' : 'open'}`;
    },
  ],
  [
    'closes the relay and sees it switch',
    async (ctx) => {
      if (ctx.board?.relayState() === true) await toggleTo(ctx, false);
      return toggleTo(ctx, true);
    },
  ],
  ['opens the relay and sees it switch', (ctx) => toggleTo(ctx, false)],
  [
    'measures every switch as relay_switch',
    async (ctx) => {
      const samples = ctx.recorder.select('relay_switch', { tn: ctx.board?.tn ?? '' });
      expectThat(samples.length === ctx.seen.length, `${samples.length} relay_switch samples for ${ctx.seen.length} switches`);
      samples.forEach((s, i) => {
        const want = ctx.seen[i]!;
        const { latency_ms: latency, processing_ms: processing, state } = s.fields;
        expectThat(latency === want.latency, `latency_ms ${String(latency)}, expected send to feedback ${want.latency}`);
        expectThat(
          processing === want.processing,
          `processing_ms ${String(processing)}, expected receipt to relay call ${want.processing}`,
        );
        expectThat(state === want.closed, `state ${String(state)}, expected ${want.closed}`);
      });
      const worst = Math.max(...ctx.seen.map((s) => s.latency));
      return `${samples.length} samples, worst send-to-feedback ${fmt(worst)}`;
    },
  ],
  [
    'a repeated command changes nothing',
    async (ctx) => {
      const board = attachedBoard(ctx);
      const before = ctx.recorder.select('relay_switch').length;
      const changes: RelayChange[] = [];
      const off = board.onRelayChange((c) => changes.push(c));
      expectThat(board.switchRelay(false, { sentAt: ctx.clock.now(), receivedAt: ctx.clock.now() }), 'switchRelay returned false');
      await waitOnClock(ctx.clock, ctx.clock.sleep(ctx.target.quietMs ?? 300), 10_000, 'quiet period');
      off();
      expectThat(changes.length === 0, `${changes.length} relay changes reported for a command to the current state`);
      expectThat(ctx.recorder.select('relay_switch').length === before, 'a relay_switch sample without a switch');
      expectThat(board.relayState() === false, 'relay state moved');
      return 'no pin change, no sample';
    },
  ],
  [
    'counts S0 pulses as energy',
    async (ctx) => {
      const board = attachedBoard(ctx);
      const start = board.readMeter();
      const within = ctx.target.expectPulseWithinMs;
      if (within !== undefined) await pollOnClock(ctx.clock, () => board.readMeter().pulses !== start.pulses, within, 50);
      const m = board.readMeter();
      expectThat(Number.isInteger(m.pulses) && m.pulses >= start.pulses, `pulse count went from ${start.pulses} to ${m.pulses}`);
      expectThat(Math.abs(m.energyWh - (m.pulses * 1000) / m.pulsesPerKWh) < 1e-9, 'energyWh does not match pulses / pulsesPerKWh');
      if (within !== undefined) expectThat(m.pulses > start.pulses, `no S0 pulse within ${within} ms`);
      return `${m.pulses} pulses = ${m.energyWh.toFixed(3)} Wh at ${m.pulsesPerKWh} imp/kWh${m.analog === undefined ? '' : `, analog ${m.analog}`}`;
    },
  ],
  [
    'closes cleanly',
    async (ctx) => {
      const board = ctx.board;
      expectThat(board, 'no board');
      await board.close();
      expectThat(board.status() === 'closed', `status() is ${board.status()} after close`);
      expectThat(board.switchRelay(true) === false, 'switchRelay after close did not return false');
      return 'closed';
    },
  ],
];

/** Run before `closes cleanly` when the target can reset its board. */
export const RESET_CHECK = 'notices a reset with its port open and comes back';

const resetCheck: Check = async (ctx) => {
  const board = attachedBoard(ctx);
  const reset = ctx.target.reset!;
  const { clock } = ctx;
  if (board.relayState() !== true) await toggleTo(ctx, true);
  const statuses: BoardStatus[] = [];
  const off = board.onStatus((c) => statuses.push(c.status));
  const back = nextEvent<StatusChange>(
    (l) => board.onStatus(l),
    (c) => c.status === 'attached',
  );
  try {
    await reset();
    const change = await waitOnClock(clock, back, ctx.target.attachTimeoutMs ?? 15_000, 'attached again after the reset');
    expectThat(change.reattached, 'the status change after the reset is not marked reattached');
  } finally {
    off();
  }
  expectThat(statuses.join(' ') === 'reset attached', `status went ${statuses.join(' -> ') || 'nowhere'}, expected reset -> attached`);
  const [sample] = ctx.recorder.select('board', { tn: board.tn, status: 'reset' });
  expectThat(sample?.fields.up === 0, 'no `board` sample with status reset and up=0');
  const restored = await pollOnClock(clock, () => board.relayState() === true, ctx.target.feedbackTimeoutMs ?? 2_000, 10);
  expectThat(restored, `relay not closed again after the reset (feedback says ${String(board.relayState())})`);
  await toggleTo(ctx, false);
  return 'reset reported, pins configured again, relay restored and switching';
};

export const BOARD_CHECKS: readonly string[] = CHECKS.map(([name]) => name);

/** The checks run against a target, in order: the reset check only when the target can reset its board. */
function checksFor(target: ComplianceTarget): ReadonlyArray<readonly [string, Check]> {
  if (!target.reset) return CHECKS;
  return [...CHECKS.slice(0, -1), [RESET_CHECK, resetCheck], CHECKS.at(-1)!];
}

/** Names of the checks runBoardCompliance runs against this target. */
export const checkNames = (target: ComplianceTarget): string[] => checksFor(target).map(([name]) => name);

export async function runBoardCompliance(target: ComplianceTarget): Promise<CheckResult[]> {
  const ctx: Context = { target, clock: target.clock, recorder: new SampleRecorder(), board: undefined, seen: [] };
  const results: CheckResult[] = [];
  for (const [name, check] of checksFor(target)) {
    try {
      results.push({ name, ok: true, detail: await check(ctx) });
    } catch (err) {
      results.push({ name, ok: false, detail: err instanceof Error ? err.message : String(err) });
    }
  }
  if (ctx.board && ctx.board.status() !== 'closed') await ctx.board.close().catch(() => {});
  return results;
}

/** The results as a fixed-width pass/fail table. */
export function formatChecks(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 5);
  const lines = results.map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`);
  const passed = results.filter((r) => r.ok).length;
  return [`${'    '}  ${'check'.padEnd(width)}  detail`, ...lines, '', `${passed}/${results.length} checks passed`].join('\n');
}
