import type { EventEmitter } from 'node:events';
import firmataIo, { type Firmata } from 'firmata-io';
import five, { type Board as J5Board, type Led, type Relay } from 'johnny-five';
import type { Clock, TimerHandle } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { NodeId } from '../../core/transport';
import {
  BoardError,
  type BoardKind,
  type BoardStatus,
  type CommandTiming,
  type MeterReading,
  type RelayChange,
  type StatusChange,
  type TnBoard,
} from './board';
import { NO_ANALOG_CHANNEL, PIN_MODE, type PinMode } from './firmata-constants';
import type { BoardLayout } from './layout';
import { checkWiring, definedOnly, type Wiring } from './wiring';

/**
 * The real and virtual boards: johnny-five (Relay, Led) and firmata-io over whatever serial
 * transport an opener hands out. Only event-driven johnny-five paths are used, so the relay and
 * feedback path is exact on a VirtualClock too: the relay write goes out synchronously, and the
 * feedback and S0 inputs are read with firmata-io's digital-read events as each report is parsed.
 * johnny-five's own input components (Pin, Button, Switch, Sensor) poll their value on a real
 * setInterval that is never cleared, so none of them is used here.
 */

/** A connection to the board: the stream firmata-io talks to, and how to let go of it. */
export interface BoardLink {
  readonly stream: EventEmitter & { write(data: Buffer, callback?: (error?: Error | null) => void): unknown };
  close(): void;
}

/** Opens a fresh link per attach attempt; throws a BoardError when the port is not there. */
export type LinkOpener = () => BoardLink;

export interface AttachTiming {
  /** Clock ms from opening the port to johnny-five ready before the board counts as not answering. */
  readonly attachTimeoutMs?: number;
  /** First retry delay after a fault; doubles per failed attempt up to retryMaxMs (with +-20% jitter). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Real ms firmata-io waits for the board's own version report before asking for it. */
  readonly reportVersionTimeoutMs?: number;
}

export const ATTACH_DEFAULTS = {
  attachTimeoutMs: 10_000,
  retryMinMs: 500,
  retryMaxMs: 30_000,
  reportVersionTimeoutMs: 1_000,
} as const satisfies Required<AttachTiming>;

export interface JohnnyFiveBoardConfig {
  readonly kind: Exclude<BoardKind, 'none'>;
  readonly tn: NodeId;
  readonly port: string;
  readonly wiring: Wiring;
  readonly open: LinkOpener;
  readonly clock: Clock;
  readonly random: Random;
  readonly metrics: Metrics;
  readonly timing?: AttachTiming;
}

/** Largest delay setTimeout takes; johnny-five's connect timeout is parked there (see attach). */
const MAX_REAL_TIMER_MS = 2_147_483_647;
/** Switches awaiting their feedback; older ones are dropped if a feedback wire is broken. */
const MAX_PENDING = 16;

interface Session {
  readonly link: BoardLink;
  readonly io: Firmata;
  j5?: J5Board;
  relay?: Relay;
  led?: Led;
  timeout?: TimerHandle;
}

interface PendingSwitch {
  readonly closed: boolean;
  readonly issuedAt: number;
  readonly timing?: CommandTiming;
}

const noop = (): void => {};

export class JohnnyFiveBoard implements TnBoard {
  readonly kind: Exclude<BoardKind, 'none'>;
  readonly tn: NodeId;
  readonly port: string;
  readonly wiring: Wiring;
  private readonly config: JohnnyFiveBoardConfig;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly timing: Required<AttachTiming>;
  private current: BoardStatus = 'attaching';
  private error: BoardError | undefined;
  private everAttached = false;
  /** Whether the board is down as far as the `board` measurement knows; undefined before the first attempt settles. */
  private down: boolean | undefined;
  private session: Session | undefined;
  private retryTimer: TimerHandle | undefined;
  private failedAttempts = 0;
  private desired: boolean | undefined;
  private reported: boolean | undefined;
  private pending: PendingSwitch[] = [];
  private s0Level: number | undefined;
  private pulses = 0;
  private analog: number | undefined;
  private readonly statusListeners = new Set<(change: StatusChange) => void>();
  private readonly relayListeners = new Set<(change: RelayChange) => void>();
  private readonly firstSettled: Promise<BoardStatus>;
  private settleFirst: (status: BoardStatus) => void = noop;

  constructor(config: JohnnyFiveBoardConfig) {
    this.config = config;
    this.kind = config.kind;
    this.tn = config.tn;
    this.port = config.port;
    this.wiring = config.wiring;
    this.clock = config.clock;
    this.random = config.random;
    this.timing = { ...ATTACH_DEFAULTS, ...definedOnly(config.timing ?? {}) };
    this.firstSettled = new Promise((resolve) => (this.settleFirst = resolve));
    this.attach();
  }

  status(): BoardStatus {
    return this.current;
  }

  lastError(): BoardError | undefined {
    return this.error;
  }

  ready(): Promise<BoardStatus> {
    return this.firstSettled;
  }

  onStatus(listener: (change: StatusChange) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onRelayChange(listener: (change: RelayChange) => void): () => void {
    this.relayListeners.add(listener);
    return () => this.relayListeners.delete(listener);
  }

  relayState(): boolean | undefined {
    return this.reported;
  }

  switchRelay(closed: boolean, timing?: CommandTiming): boolean {
    if (this.current === 'closed') return false;
    this.desired = closed;
    const relay = this.session?.relay;
    if (this.current !== 'attached' || !relay) return false;
    const issuedAt = this.clock.now();
    try {
      if (closed) relay.close();
      else relay.open();
    } catch (err) {
      this.fault(new BoardError('TRANSPORT', this.tn, this.port, `relay write failed: ${message(err)}`, this.wiring.relay));
      return false;
    }
    if (this.reported !== closed || this.pending.length > 0) {
      this.pending.push(timing ? { closed, issuedAt, timing } : { closed, issuedAt });
      if (this.pending.length > MAX_PENDING) this.pending.shift();
    }
    return true;
  }

  readMeter(): MeterReading {
    const base = {
      pulses: this.pulses,
      pulsesPerKWh: this.wiring.pulsesPerKWh,
      energyWh: (this.pulses * 1000) / this.wiring.pulsesPerKWh,
      at: this.clock.now(),
    };
    return this.analog === undefined ? base : { ...base, analog: this.analog };
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.teardown();
    this.pending = [];
    this.setStatus('closed');
    this.settleFirst('closed');
  }

  // ---- attaching ----

  private attach(): void {
    this.setStatus('attaching');
    let link: BoardLink;
    try {
      link = this.config.open();
    } catch (err) {
      this.fault(err instanceof BoardError ? err : new BoardError('PORT_MISSING', this.tn, this.port, message(err)));
      return;
    }
    // Bind before anything can emit: an unheard 'error' event would throw into the bench.
    link.stream.on('error', noop);
    const io = new firmataIo.Firmata(link.stream, { reportVersionTimeout: this.timing.reportVersionTimeoutMs });
    const session: Session = { link, io };
    this.session = session;
    const fail = (code: BoardError['code'], detail: string): void => {
      if (this.session === session) this.fault(new BoardError(code, this.tn, this.port, detail));
    };
    io.on('error', (err: unknown) => {
      const code = codeOfTransportError(err);
      fail(code, code === 'DISCONNECTED' ? `the serial port went away (cable pulled?): ${message(err)}` : message(err));
    });
    io.on('disconnect', () => fail('DISCONNECTED', 'the serial port went away (cable pulled?)'));
    io.on('close', () => fail('DISCONNECTED', 'the serial port closed'));
    session.timeout = this.clock.setTimer(this.timing.attachTimeoutMs, () =>
      fail('NO_FIRMATA', `no Firmata answer within ${this.timing.attachTimeoutMs} ms (is StandardFirmata running?)`),
    );
    try {
      // johnny-five starts a real 10 s "connect" timer of its own; the attach timeout above runs on
      // the node's clock instead, so that one is parked and cleared on teardown.
      const j5 = new five.Board({ io, id: this.tn, repl: false, debug: false, sigint: false, timeout: MAX_REAL_TIMER_MS });
      session.j5 = j5;
      j5.on('error', (event: unknown) => fail('TRANSPORT', message(event)));
      j5.on('fail', (event: unknown) => fail('TRANSPORT', message(event)));
      j5.once('ready', () => {
        if (this.session !== session) return;
        session.timeout?.cancel();
        this.configure(session);
      });
    } catch (err) {
      fail('TRANSPORT', message(err));
    }
  }

  private configure(session: Session): void {
    const { io } = session;
    const j5 = session.j5!;
    const problem = checkWiring(this.wiring, layoutOf(io), { tn: this.tn, port: this.port });
    if (problem) {
      this.fault(problem, false);
      return;
    }
    const w = this.wiring;
    try {
      io.pinMode(w.relay, PIN_MODE.OUTPUT);
      session.relay = new five.Relay({ pin: w.relay, board: j5 });
      if (w.statusLed !== null) session.led = new five.Led({ pin: w.statusLed, board: j5 });
      io.pinMode(w.feedback, PIN_MODE.INPUT);
      j5.digitalRead(w.feedback, (value) => this.onFeedback(session, value));
      if (w.s0 !== null) {
        io.pinMode(w.s0, PIN_MODE.INPUT);
        j5.digitalRead(w.s0, (value) => this.onS0(session, value));
      }
      if (w.analog !== null) {
        const channel = io.pins[w.analog.pin]?.analogChannel ?? w.analog.channel;
        j5.analogRead(channel, (value) => {
          if (this.session === session) this.analog = value;
        });
      }
      // A reset board has its relay open; put it back where the last accepted command wanted it.
      if (this.desired !== undefined) {
        if (this.desired) session.relay.close();
        else session.relay.open();
        this.pending.push({ closed: this.desired, issuedAt: this.clock.now() });
      }
      session.led?.on();
    } catch (err) {
      this.fault(new BoardError('TRANSPORT', this.tn, this.port, `configuring pins failed: ${message(err)}`));
      return;
    }
    this.failedAttempts = 0;
    this.error = undefined;
    this.setStatus('attached');
    this.settleFirst('attached');
  }

  // ---- inputs ----

  private onFeedback(session: Session, value: number): void {
    if (this.session !== session) return;
    const closed = value === 1;
    const seenAt = this.clock.now();
    if (this.reported === undefined) {
      // The first report after attaching is the state the relay is in, not a switch; a lone
      // pending switch that state already satisfies will bring no change, so it is dropped.
      this.reported = closed;
      if (this.pending.length === 1 && this.pending[0]!.closed === closed) this.pending = [];
      return;
    }
    if (closed === this.reported) return;
    this.reported = closed;
    const match = this.dropPendingUpTo(closed);
    const change: RelayChange = match
      ? { closed, seenAt, command: match.timing ? { issuedAt: match.issuedAt, timing: match.timing } : { issuedAt: match.issuedAt } }
      : { closed, seenAt };
    if (match?.timing) {
      this.config.metrics.emit(
        'relay_switch',
        {
          latency_ms: seenAt - match.timing.sentAt,
          processing_ms: match.issuedAt - match.timing.receivedAt,
          state: closed,
        },
        { tn: this.tn, board: this.kind },
      );
    }
    for (const listener of this.relayListeners) safely(() => listener(change));
  }

  /** Removes pending switches up to the first one asking for `closed` and returns it. */
  private dropPendingUpTo(closed: boolean): PendingSwitch | undefined {
    while (this.pending.length > 0) {
      const next = this.pending.shift()!;
      if (next.closed === closed) return next;
    }
    return undefined;
  }

  private onS0(session: Session, value: number): void {
    if (this.session !== session) return;
    if (this.s0Level === 0 && value === 1) this.pulses++;
    this.s0Level = value;
  }

  // ---- faults ----

  private fault(error: BoardError, retry = true): void {
    if (this.current === 'closed') return;
    this.teardown();
    this.error = error;
    this.reported = undefined;
    this.s0Level = undefined;
    this.pending = [];
    this.setStatus('failed', error);
    this.settleFirst('failed');
    if (!retry) return;
    const base = Math.min(this.timing.retryMaxMs, this.timing.retryMinMs * 2 ** this.failedAttempts);
    this.failedAttempts++;
    const delay = base * (0.8 + 0.4 * this.random.float());
    this.retryTimer = this.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
      this.attach();
    });
  }

  private teardown(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.timeout?.cancel();
    const { io, j5, link } = session;
    clearTimeout(io.reportVersionTimeoutId);
    io.removeAllListeners();
    io.on('error', noop);
    if (j5) {
      if (j5.timer) clearTimeout(j5.timer);
      j5.removeAllListeners();
      j5.on('error', noop);
      const cached = five.Board.cache.indexOf(j5);
      if (cached >= 0) five.Board.cache.splice(cached, 1);
    }
    safely(() => link.close());
  }

  /**
   * Listeners hear every change, retries included; the `board` measurement only records the
   * transitions up and down, so a board that stays away for hours is one failed sample.
   */
  private setStatus(status: BoardStatus, error?: BoardError): void {
    if (status === this.current) return;
    this.current = status;
    const reattached = status === 'attached' && this.everAttached;
    if (status === 'attached') this.everAttached = true;
    const flips = (status === 'attached' && this.down !== false) || (status === 'failed' && this.down !== true);
    if (flips) {
      this.down = status === 'failed';
      this.config.metrics.emit(
        'board',
        { up: status === 'attached' ? 1 : 0, port: this.port, error: error?.message ?? '' },
        { tn: this.tn, board: this.kind, status: reattached ? 'reattached' : status },
      );
    }
    const change: StatusChange = error
      ? { status, at: this.clock.now(), port: this.port, reattached, error }
      : { status, at: this.clock.now(), port: this.port, reattached };
    for (const listener of this.statusListeners) safely(() => listener(change));
  }
}

/** The layout a board reported through its capability and analog mapping responses. */
export function layoutOf(io: Firmata): BoardLayout {
  return {
    name: io.firmware.name ? `board running ${io.firmware.name}` : 'board',
    pins: io.pins.map((pin) => ({
      modes: pin.supportedModes.map((mode) => [mode as PinMode, 1] as const),
      ...(pin.analogChannel !== undefined && pin.analogChannel !== NO_ANALOG_CHANNEL ? { analogChannel: pin.analogChannel } : {}),
    })),
  };
}

function codeOfTransportError(err: unknown): BoardError['code'] {
  const text = `${message(err)} ${String((err as { code?: unknown } | undefined)?.code ?? '')}`;
  if (/no such file|ENOENT|cannot open/i.test(text)) return 'PORT_MISSING';
  // What a vanished tty gives an open port: I/O errors on read or write, or a dead descriptor.
  if ((err as { disconnected?: unknown } | undefined)?.disconnected || /EIO|EBADF|ENXIO|bad file descriptor/i.test(text)) {
    return 'DISCONNECTED';
  }
  return 'TRANSPORT';
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

/** Listener code must not break the board (or the message loop that called it). */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A listener's own bug is its own; the board keeps going.
  }
}
