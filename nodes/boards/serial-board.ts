import { existsSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { BoardError, type BoardDeps } from './board';
import { JohnnyFiveBoard, type AttachTiming, type BoardLink } from './johnny-five-board';
import { resolveWiring, type WiringSpec } from './wiring';

export interface SerialBoardSpec {
  readonly kind: 'real';
  /** Serial path, e.g. /dev/ttyACM0 (serialport cannot list ports here: always give the path). */
  readonly port: string;
  readonly baudRate?: number | undefined;
  readonly wiring?: WiringSpec | undefined;
  readonly timing?: AttachTiming | undefined;
}

/**
 * A TN board that is a microcontroller running StandardFirmata on a serial path (or anything that
 * speaks Firmata there, such as a virtual board put on a pty). Wiring is checked on its face here
 * and against the capabilities the board reports once it answers.
 */
export class SerialBoard extends JohnnyFiveBoard {
  constructor(spec: SerialBoardSpec, deps: BoardDeps) {
    if (typeof spec.port !== 'string' || spec.port.length === 0) {
      throw new BoardError('BAD_SPEC', deps.tn, String(spec.port), 'a real board needs a serial path');
    }
    const wiring = resolveWiring(spec.wiring, { tn: deps.tn, port: spec.port });
    const baudRate = spec.baudRate ?? 57_600;
    super({
      kind: 'real',
      tn: deps.tn,
      port: spec.port,
      wiring,
      clock: deps.clock,
      random: deps.random.fork('board'),
      metrics: deps.metrics,
      ...(spec.timing ? { timing: spec.timing } : {}),
      open: () => openSerial(deps.tn, spec.port, baudRate),
    });
  }
}

export function openSerial(tn: string, path: string, baudRate: number): BoardLink {
  if (!existsSync(path)) throw new BoardError('PORT_MISSING', tn, path, 'the serial port does not exist');
  const port = new SerialPort({ path, baudRate });
  return {
    stream: port,
    close() {
      const shut = (): void => {
        if (port.isOpen) port.close(() => {});
      };
      if (port.isOpen) shut();
      else port.once('open', shut);
    },
  };
}
