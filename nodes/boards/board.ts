/**
 * The board of a terminal node (TN): the hardware at a prosumer's site that the TN's protocol code
 * drives. Wiring (Arduino Uno defaults, see wiring.ts): a relay output for load switching, a status
 * LED, an S0 pulse input from the meter, an optional analog input, and a feedback input wired from
 * the relay output, so the board itself reports when the relay really switched.
 *
 * Four implementations, one interface, made by createBoard(spec, deps) (create-board.ts):
 *   real      johnny-five on a serial path: a microcontroller running StandardFirmata
 *   emulated  johnny-five on a pty to real StandardFirmata firmware running in an AVR emulator
 *             (emulated/, real clock only; see nodes/boards/README.md)
 *   virtual   johnny-five over an in-memory stream to a virtual Firmata device (an Uno); the same
 *             device can also be put on a pseudo-terminal (virtual/pty-link.ts)
 *   none      protocol-only TNs for mass emulation: no I/O, no timers, no samples
 *
 * What the TN calls:
 *   switchRelay(closed, { sentAt, receivedAt })   returns at once: true when the johnny-five call
 *       was made to an attached board, false when the state is only remembered (detached, or
 *       reconfiguring after a reset) and applied once the board is (re-)attached. Issued is not
 *       done: the switch is done when the feedback input reports the change, which emits a
 *       `relay_switch` sample (latency_ms = seen - sentAt, processing_ms = issued - receivedAt) and
 *       tells onRelayChange listeners, with the clock time it was seen. A switch whose feedback
 *       does not come within the feedback timeout is a `relay_timeout` sample and an
 *       onRelayTimeout event. Switching to the state the relay already reports changes no pin, so
 *       it records nothing.
 *   onRelayChange(fn)   fn({ closed, seenAt, command? }) for every change the feedback reports.
 *   onRelayTimeout(fn)  fn({ closed, issuedAt, detectedAt, timing? }) for every switch without feedback.
 *   readMeter()         S0 pulses counted from the input's rising edges, and Wh from pulsesPerKWh.
 *   status(), onStatus(fn), ready()   attaching | attached | reset | failed | closed; every attach,
 *       failure and reset is a `board` sample (tags tn, board, status; fields up, port, error).
 *   close()             stops retries and timers and closes the port; the relay keeps its state.
 *
 * Faults (port missing, cable pulled, no Firmata answer within the attach timeout) never throw: the
 * board goes to `failed` naming the port, the TN keeps running its protocol, and the board retries
 * with backoff on the node's clock until it is re-attached. A board that restarts while its port
 * stays open (reset button, brown-out, another program opening the port) announces its firmware
 * again unasked: the board goes to `reset`, configures its pins again (inputs first, so the
 * feedback pin the firmware left as an output held low is an input before the relay is driven)
 * and is `attached` again once the feedback input reports. A wiring the board cannot honour (a pin
 * it lacks, a pin used twice) is a BoardError naming the TN, port and pin: thrown by createBoard
 * when the spec is wrong on its face, reported as `failed` (no retry) when a real board's reported
 * capabilities lack a pin.
 *
 * Virtual boards run their serial link, relay actuation and S0 pulses on the node's clock. Their
 * meter keeps producing pulses, so drive a VirtualClock with run(until) or advance(ms), not run().
 */
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { NodeId } from '../../core/transport';

export type BoardKind = 'real' | 'emulated' | 'virtual' | 'none';

/**
 * `reset`: the board restarted with its port open and its pins are being configured again; it is
 * `attached` again once its feedback input reports. A `none` board is always `attached`: it has
 * nothing that can fail.
 */
export type BoardStatus = 'attaching' | 'attached' | 'reset' | 'failed' | 'closed';

export interface StatusChange {
  readonly status: BoardStatus;
  /** Clock time of the change. */
  readonly at: number;
  readonly port: string;
  /** True when an attach follows an earlier failure. */
  readonly reattached: boolean;
  readonly error?: BoardError;
}

/** When the command that asked for a switch left its sender and reached this TN (clock ms). */
export interface CommandTiming {
  /** ReceivedFrame.sentAt of the command. */
  readonly sentAt: number;
  /** Clock time the TN received the frame. */
  readonly receivedAt: number;
}

export interface RelayChange {
  /** Relay state reported by the feedback input (true = closed). */
  readonly closed: boolean;
  /** Clock time the board's report of the change was seen. */
  readonly seenAt: number;
  /** The switchRelay call this change answers, if any. */
  readonly command?: {
    /** Clock time the johnny-five call was made. */
    readonly issuedAt: number;
    readonly timing?: CommandTiming;
  };
}

/** A switch the board issued whose feedback input did not report the change in time. */
export interface RelayTimeout {
  /** Relay state asked for (true = closed). */
  readonly closed: boolean;
  /** Clock time the johnny-five call was made. */
  readonly issuedAt: number;
  /** Clock time the feedback timeout ran out. */
  readonly detectedAt: number;
  readonly timing?: CommandTiming;
}

export interface MeterReading {
  /** S0 pulses counted while the board was attached. */
  readonly pulses: number;
  readonly pulsesPerKWh: number;
  /** pulses * 1000 / pulsesPerKWh. */
  readonly energyWh: number;
  /** Last raw value of the analog input (0..1023 on an Uno), when one is wired and reported. */
  readonly analog?: number;
  readonly at: number;
}

export interface TnBoard {
  readonly kind: BoardKind;
  readonly tn: NodeId;
  /** Serial path (the pty of an emulated board), `virtual:<tn>`, or `none`. */
  readonly port: string;
  status(): BoardStatus;
  lastError(): BoardError | undefined;
  /** Resolves once the first attach attempt has settled, with `attached` or `failed`. */
  ready(): Promise<BoardStatus>;
  onStatus(listener: (change: StatusChange) => void): () => void;
  switchRelay(closed: boolean, timing?: CommandTiming): boolean;
  /** Relay state last reported by the feedback input; undefined while unknown (detached). */
  relayState(): boolean | undefined;
  onRelayChange(listener: (change: RelayChange) => void): () => void;
  onRelayTimeout(listener: (timeout: RelayTimeout) => void): () => void;
  readMeter(): MeterReading;
  close(): Promise<void>;
}

/** What a board needs from its node. */
export interface BoardDeps {
  readonly tn: NodeId;
  readonly clock: Clock;
  /** The node's seeded stream; the board forks its own streams from it. */
  readonly random: Random;
  readonly metrics: Metrics;
}

export type BoardErrorCode =
  'BAD_SPEC' | 'NO_SUCH_PIN' | 'PIN_IN_USE' | 'PIN_MODE' | 'PORT_MISSING' | 'NO_FIRMATA' | 'NO_FIRMWARE' | 'DISCONNECTED' | 'TRANSPORT';

export class BoardError extends Error {
  constructor(
    readonly code: BoardErrorCode,
    readonly tn: NodeId,
    readonly port: string,
    readonly detail: string,
    readonly pin?: number | string,
  ) {
    super(`TN ${tn}, port ${port}${pin === undefined ? '' : `, pin ${pin}`}: ${detail}`);
    this.name = 'BoardError';
  }
}
