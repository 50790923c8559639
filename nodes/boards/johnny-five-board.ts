import five from 'johnny-five';
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
  type RelayTimeout,
  type StatusChange,
  type TnBoard,
} from './board';
import { PIN_MODE } from './firmata-constants';
import { closeSession, layoutOf, message, openSession, type BoardLink, type LinkOpener, type Session } from './firmata-session';
import { RelayFeedback, safely } from './relay-feedback';
import { checkWiring, definedOnly, type Wiring } from './wiring';

export type { BoardLink, LinkOpener } from './firmata-session';

/**
 * The real, emulated and virtual boards: johnny-five (Relay, Led) and firmata-io over whatever
 * serial transport an opener hands out. Only event-driven johnny-five paths are used, so the relay
 * and feedback path is exact on a VirtualClock too: the relay write goes out synchronously, and
 * the feedback and S0 inputs are read with firmata-io's digital-read events as each report is
 * parsed. johnny-five's own input components (Pin, Button, Switch, Sensor) poll their value on a
 * real setInterval that is never cleared, so none of them is used here.
 */

export interface AttachTiming {
  /** Clock ms from opening the port to johnny-five ready before the board counts as not answering. */
  readonly attachTimeoutMs?: number;
  /** First retry delay after a fault; doubles per failed attempt up to retryMaxMs (with +-20% jitter). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Real ms firmata-io waits for the board's own version report before asking for it. */
  readonly reportVersionTimeoutMs?: number;
  /** Clock ms a relay switch may wait for its feedback report before it counts as failed. */
  readonly feedbackTimeoutMs?: number;
}

export const ATTACH_DEFAULTS = {
  attachTimeoutMs: 10_000,
  retryMinMs: 500,
  retryMaxMs: 30_000,
  reportVersionTimeoutMs: 1_000,
  feedbackTimeoutMs: 1_000,
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
  readonly timing?: AttachTiming | undefined;
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
  private readonly feedback: RelayFeedback;
  private current: BoardStatus = 'attaching';
  private error: BoardError | undefined;
  private everAttached = false;
  /** Whether the board is down as far as the `board` measurement knows; undefined before the first attempt settles. */
  private down: boolean | undefined;
  private session: Session | undefined;
  private retryTimer: TimerHandle | undefined;
  private failedAttempts = 0;
  private desired: boolean | undefined;
  private s0Level: number | undefined;
  private pulses = 0;
  private analog: number | undefined;
  private readonly statusListeners = new Set<(change: StatusChange) => void>();
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
    this.feedback = new RelayFeedback({
      tn: this.tn,
      kind: this.kind,
      clock: this.clock,
      metrics: config.metrics,
      timeoutMs: this.timing.feedbackTimeoutMs,
    });
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
    return this.feedback.onChange(listener);
  }

  onRelayTimeout(listener: (timeout: RelayTimeout) => void): () => void {
    return this.feedback.onTimeout(listener);
  }

  relayState(): boolean | undefined {
    return this.feedback.state();
  }

  /** What the firmware reported itself as (REPORT_FIRMWARE), once it has; undefined while detached. */
  firmware(): { name: string; major: number; minor: number } | undefined {
    const fw = this.session?.io.firmware;
    if (!fw?.name || !fw.version) return undefined;
    return { name: fw.name, major: fw.version.major, minor: fw.version.minor };
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
    this.feedback.issued(closed, issuedAt, timing);
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
    this.feedback.forget();
    this.setStatus('closed');
    this.settleFirst('closed');
  }

  // ---- attaching ----

  private attach(): void {
    this.setStatus('attaching');
    let opened: BoardLink | Promise<BoardLink>;
    try {
      opened = this.config.open();
    } catch (err) {
      this.openFailed(err);
      return;
    }
    if (!(opened instanceof Promise)) {
      this.start(opened);
      return;
    }
    opened.then(
      (link) => {
        // Closed (or failed and retrying) while the link was being set up: it is not wanted.
        if (this.current !== 'attaching' || this.session) safely(() => link.close());
        else this.start(link);
      },
      (err: unknown) => {
        if (this.current === 'attaching' && !this.session) this.openFailed(err);
      },
    );
  }

  private openFailed(err: unknown): void {
    this.fault(err instanceof BoardError ? err : new BoardError('PORT_MISSING', this.tn, this.port, message(err)));
  }

  private start(link: BoardLink): void {
    // openSession reports nothing before it returns, so every callback sees the session assigned.
    let session!: Session;
    const fail = (code: BoardError['code'], detail: string): void => {
      if (this.session === session) this.fault(new BoardError(code, this.tn, this.port, detail));
    };
    session = openSession(link, {
      id: this.tn,
      reportVersionTimeoutMs: this.timing.reportVersionTimeoutMs,
      fail,
      ready: () => {
        if (this.session !== session) return;
        session.timeout?.cancel();
        this.configure(session);
      },
      announced: () => {
        if (this.session === session) this.onReset(session);
      },
    });
    this.session = session;
    if (session.setupError !== undefined) {
      fail('TRANSPORT', session.setupError);
      return;
    }
    session.timeout = this.clock.setTimer(this.timing.attachTimeoutMs, () =>
      fail('NO_FIRMATA', `no Firmata answer within ${this.timing.attachTimeoutMs} ms (is StandardFirmata running?)`),
    );
  }

  private configure(session: Session): void {
    const problem = checkWiring(this.wiring, layoutOf(session.io), { tn: this.tn, port: this.port });
    if (problem) {
      this.fault(problem, false);
      return;
    }
    const w = this.wiring;
    const j5 = session.j5!;
    try {
      this.setInputs(session);
      j5.digitalRead(w.feedback, (value) => {
        if (this.session === session) this.onFeedback(value);
      });
      if (w.s0 !== null) j5.digitalRead(w.s0, (value) => this.session === session && this.onS0(value));
      if (w.analog !== null) {
        const channel = session.io.pins[w.analog.pin]?.analogChannel ?? w.analog.channel;
        j5.analogRead(channel, (value) => {
          if (this.session === session) this.analog = value;
        });
      }
      session.relay = new five.Relay({ pin: w.relay, board: j5 });
      if (w.statusLed !== null) session.led = new five.Led({ pin: w.statusLed, board: j5 });
      this.setOutputs(session, false);
    } catch (err) {
      this.fault(new BoardError('TRANSPORT', this.tn, this.port, `configuring pins failed: ${message(err)}`));
      return;
    }
    session.configured = true;
    this.failedAttempts = 0;
    this.error = undefined;
    this.setStatus('attached');
    this.settleFirst('attached');
  }

  /** Inputs first: until then a pin wired to the relay line may still be an output (StandardFirmata's reset default). */
  private setInputs(session: Session): void {
    const { io } = session;
    io.pinMode(this.wiring.feedback, PIN_MODE.INPUT);
    if (this.wiring.s0 !== null) io.pinMode(this.wiring.s0, PIN_MODE.INPUT);
  }

  /**
   * Then the outputs; a board that reset has its relay open, so it goes back where the last
   * command wanted it. (johnny-five's Led sets its pin's mode when it is made; its Relay does not.)
   */
  private setOutputs(session: Session, afterReset: boolean): void {
    session.io.pinMode(this.wiring.relay, PIN_MODE.OUTPUT);
    if (this.desired !== undefined) {
      const issuedAt = this.clock.now();
      if (this.desired) session.relay!.close();
      else session.relay!.open();
      this.feedback.issued(this.desired, issuedAt);
    }
    if (session.led) {
      if (afterReset) session.io.pinMode(this.wiring.statusLed!, PIN_MODE.OUTPUT);
      session.led.on();
    }
  }

  /**
   * The board restarted with the port open: every pin is back at the firmware's default (outputs
   * held low), reporting is off, and what the inputs said before no longer holds. The pins are set
   * up again in the safe order; the board is attached again when the feedback input reports.
   */
  private onReset(session: Session): void {
    if (this.current !== 'attached' && this.current !== 'reset') return;
    const { io } = session;
    this.feedback.forget();
    this.s0Level = undefined;
    this.setStatus('reset', undefined, 'the board restarted with its port open (it announced its firmware again unasked)');
    // firmata-io still holds the port levels from before the reset and writes them back with the
    // next pin write; after a reset every output is low (and a 1 on an input turns its pull-up on).
    io.ports.fill(0);
    try {
      this.setInputs(session);
      io.reportDigitalPin(this.wiring.feedback, 1);
      if (this.wiring.s0 !== null) io.reportDigitalPin(this.wiring.s0, 1);
      if (this.wiring.analog !== null) io.reportAnalogPin(io.pins[this.wiring.analog.pin]?.analogChannel ?? this.wiring.analog.channel, 1);
      this.setOutputs(session, true);
    } catch (err) {
      this.fault(new BoardError('TRANSPORT', this.tn, this.port, `configuring pins after a reset failed: ${message(err)}`));
      return;
    }
    session.timeout?.cancel();
    session.timeout = this.clock.setTimer(this.timing.attachTimeoutMs, () => {
      if (this.session === session && this.current === 'reset') {
        this.fault(
          new BoardError(
            'NO_FIRMATA',
            this.tn,
            this.port,
            `no feedback report within ${this.timing.attachTimeoutMs} ms after the board reset`,
          ),
        );
      }
    });
  }

  // ---- inputs ----

  private onFeedback(value: number): void {
    this.feedback.report(value);
    if (this.current === 'reset') {
      this.session?.timeout?.cancel();
      this.setStatus('attached');
      // A command that came while the pins were being set up again was only remembered.
      const relay = this.session?.relay;
      if (relay && this.desired !== undefined && relay.isClosed !== this.desired) this.switchRelay(this.desired);
    }
  }

  private onS0(value: number): void {
    if (this.s0Level === 0 && value === 1) this.pulses++;
    this.s0Level = value;
  }

  // ---- faults ----

  private fault(error: BoardError, retry = true): void {
    if (this.current === 'closed') return;
    this.teardown();
    this.error = error;
    this.feedback.forget();
    this.s0Level = undefined;
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
    closeSession(session);
  }

  /**
   * Listeners hear every change, retries included; the `board` measurement records the
   * transitions up and down and every reset, so a board that stays away for hours is one failed
   * sample, and a reset is a reset sample followed by a reattached one.
   */
  private setStatus(status: BoardStatus, error?: BoardError, detail?: string): void {
    if (status === this.current) return;
    this.current = status;
    const reattached = status === 'attached' && this.everAttached;
    if (status === 'attached') this.everAttached = true;
    const flips = status === 'reset' || (status === 'attached' && this.down !== false) || (status === 'failed' && this.down !== true);
    if (flips) {
      this.down = status !== 'attached';
      this.config.metrics.emit(
        'board',
        { up: status === 'attached' ? 1 : 0, port: this.port, error: error?.message ?? detail ?? '' },
        { tn: this.tn, board: this.kind, status: reattached ? 'reattached' : status },
      );
    }
    const change: StatusChange = error
      ? { status, at: this.clock.now(), port: this.port, reattached, error }
      : { status, at: this.clock.now(), port: this.port, reattached };
    for (const listener of this.statusListeners) safely(() => listener(change));
  }
}
