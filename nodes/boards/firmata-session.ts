import type { EventEmitter } from 'node:events';
import firmataIo, { type Firmata } from 'firmata-io';
import five, { type Board as J5Board, type Led, type Relay } from 'johnny-five';
import type { TimerHandle } from '../../core/clock';
import type { BoardErrorCode } from './board';
import { NO_ANALOG_CHANNEL, type PinMode } from './firmata-constants';
import type { BoardLayout } from './layout';

/**
 * One connection of johnny-five and firmata-io to a board over whatever serial transport an opener
 * hands out: opening it with every way it can fail wired to one callback, and letting go of it
 * without leaving a timer or a cached johnny-five Board behind.
 */

/** A connection to the board: the stream firmata-io talks to, and how to let go of it. */
export interface BoardLink {
  readonly stream: EventEmitter & { write(data: Buffer, callback?: (error?: Error | null) => void): unknown };
  close(): void;
}

/**
 * Opens a fresh link per attach attempt; throws (or rejects with) a BoardError when the port is
 * not there. A link that needs set-up first (an emulated board's pty) is opened asynchronously,
 * which only a real clock waits for: a VirtualClock does not see that promise.
 */
export type LinkOpener = () => BoardLink | Promise<BoardLink>;

export interface Session {
  readonly link: BoardLink;
  readonly io: Firmata;
  j5?: J5Board;
  relay?: Relay;
  led?: Led;
  /** The attach timeout, or after a reset the wait for the feedback input's first report. */
  timeout?: TimerHandle;
  /** True once the pins are configured: a version report after that is the board restarting. */
  configured?: boolean;
  /** Why johnny-five could not be set up on the link, if it could not. */
  setupError?: string;
}

export interface SessionEvents {
  readonly id: string;
  /** Real ms firmata-io waits for the board's own version report before asking for it. */
  readonly reportVersionTimeoutMs: number;
  fail(code: BoardErrorCode, detail: string): void;
  ready(): void;
  /** A version report after ready: nobody asked for it, so the board announced itself after a restart. */
  announced(): void;
}

/** Largest delay setTimeout takes; johnny-five's connect timeout is parked there (see openSession). */
const MAX_REAL_TIMER_MS = 2_147_483_647;

const noop = (): void => {};

export function openSession(link: BoardLink, events: SessionEvents): Session {
  // Bind before anything can emit: an unheard 'error' event would throw into the bench.
  link.stream.on('error', noop);
  const io = new firmataIo.Firmata(link.stream, { reportVersionTimeout: events.reportVersionTimeoutMs });
  const session: Session = { link, io };
  io.on('error', (err: unknown) => {
    const code = codeOfTransportError(err);
    events.fail(code, code === 'DISCONNECTED' ? `the serial port went away (cable pulled?): ${message(err)}` : message(err));
  });
  io.on('disconnect', () => events.fail('DISCONNECTED', 'the serial port went away (cable pulled?)'));
  io.on('close', () => events.fail('DISCONNECTED', 'the serial port closed'));
  // StandardFirmata sends its version unasked only from setup(), that is after a restart; firmata-io
  // asks for it itself only before the board is ready (reportVersionTimeout), so once the pins are
  // configured every version report is a reset.
  io.on('reportversion', () => {
    if (session.configured) events.announced();
  });
  try {
    // johnny-five starts a real 10 s "connect" timer of its own; the attach timeout runs on the
    // node's clock instead, so that one is parked and cleared in closeSession.
    const j5 = new five.Board({ io, id: events.id, repl: false, debug: false, sigint: false, timeout: MAX_REAL_TIMER_MS });
    session.j5 = j5;
    j5.on('error', (event: unknown) => events.fail('TRANSPORT', message(event)));
    j5.on('fail', (event: unknown) => events.fail('TRANSPORT', message(event)));
    j5.once('ready', () => events.ready());
  } catch (err) {
    session.setupError = message(err);
  }
  return session;
}

export function closeSession(session: Session): void {
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
  try {
    link.close();
  } catch {
    // The link is going away anyway.
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

function codeOfTransportError(err: unknown): BoardErrorCode {
  const text = `${message(err)} ${String((err as { code?: unknown } | undefined)?.code ?? '')}`;
  if (/no such file|ENOENT|cannot open/i.test(text)) return 'PORT_MISSING';
  // What a vanished tty gives an open port: I/O errors on read or write, or a dead descriptor.
  if ((err as { disconnected?: unknown } | undefined)?.disconnected || /EIO|EBADF|ENXIO|bad file descriptor/i.test(text)) {
    return 'DISCONNECTED';
  }
  return 'TRANSPORT';
}

export function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
