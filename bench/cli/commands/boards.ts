/**
 * gridbench boards: the lab bench's board tools.
 *   check --port PATH   runs the board compliance suite against a board on a serial path (a real
 *                       microcontroller with StandardFirmata, or a virtual or emulated one on a
 *                       pty) and prints a pass/fail table; exit 0 when every check passes, 1 otherwise.
 *   virtual             puts a virtual Uno on a pseudo-terminal and serves it until interrupted,
 *                       so johnny-five or any other Firmata client can open it as a serial path.
 *   emulate             the same with StandardFirmata running on an emulated ATmega328P.
 *   firmware            fetches and checks the StandardFirmata hex the emulated board runs.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BoardError } from '../../../nodes/boards/board';
import { formatChecks, runBoardCompliance } from '../../../nodes/boards/compliance';
import { SerialBoard } from '../../../nodes/boards/serial-board';
import { virtualDeviceOptions } from '../../../nodes/boards/virtual-board';
import { EmulatedUno } from '../../../nodes/boards/emulated/emulated-uno';
import { FirmwareError, fetchStandardFirmata, loadStandardFirmata, STANDARD_FIRMATA } from '../../../nodes/boards/emulated/firmware';
import { VirtualFirmataDevice } from '../../../nodes/boards/virtual/firmata-device';
import { exposeOnPty } from '../../../nodes/boards/virtual/pty-link';
import { resolveWiring, type WiringSpec } from '../../../nodes/boards/wiring';
import { RealClock } from '../../../core/clock';
import { Random } from '../../../core/random';
import { EXIT, usageError, type Command } from '../command';

const USAGE = `usage:
  gridbench boards check --port PATH [options]
      --tn ID                TN id to report under (default lab-tn)
      --baud N               serial speed (default 57600)
      --relay PIN            relay output (default 7)
      --feedback PIN         input wired from the relay output (default 8)
      --s0 PIN|none          S0 pulse input (default 2)
      --led PIN|none         status LED (default 13)
      --analog A0..A5|none   analog input (default none)
      --pulses-per-kwh N     meter S0 constant (default 1000)
      --attach-timeout MS    time allowed for the board to answer (default 15000)
      --feedback-timeout MS  time allowed for a relay change to come back (default 2000)
      --expect-pulse-ms MS   also require an S0 pulse within MS
  gridbench boards virtual [--dir DIR] [--seed S] [--load-w W] [--boot-ms MS]
      serves a virtual Uno on a pty (DIR/host is the serial path) until Ctrl-C
  gridbench boards emulate [--dir DIR] [--seed S] [--load-w W]
      serves StandardFirmata on an emulated Uno on a pty (DIR/host) until Ctrl-C
  gridbench boards firmware
      fetches the StandardFirmata hex the emulated board runs (once; needs the npm registry)`;

class UsageError extends Error {}

const pinOption = (value: string | undefined): number | string | null | undefined => {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  return /^\d+$/.test(value) ? Number(value) : value;
};

const msOption = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--${name} must be a positive number of ms, got "${value}"`);
  return ms;
};

async function check(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      tn: { type: 'string', default: 'lab-tn' },
      baud: { type: 'string' },
      relay: { type: 'string' },
      feedback: { type: 'string' },
      s0: { type: 'string' },
      led: { type: 'string' },
      analog: { type: 'string' },
      'pulses-per-kwh': { type: 'string' },
      'attach-timeout': { type: 'string' },
      'feedback-timeout': { type: 'string' },
      'expect-pulse-ms': { type: 'string' },
    },
  });
  if (!values.port) throw new UsageError('check needs --port PATH');
  const port = values.port;
  const tn = values.tn ?? 'lab-tn';
  if (!existsSync(port)) {
    console.error(`gridbench boards check: TN ${tn}, port ${port}: the serial port does not exist`);
    return EXIT.error;
  }
  const baudRate = values.baud === undefined ? undefined : Number(values.baud);
  if (baudRate !== undefined && !(Number.isInteger(baudRate) && baudRate > 0))
    throw new UsageError(`--baud must be a positive integer, got "${values.baud}"`);
  const ppk = values['pulses-per-kwh'] === undefined ? undefined : Number(values['pulses-per-kwh']);
  // Options not given stay undefined: resolveWiring keeps the defaults for those, and refuses a
  // relay or feedback of `none` naming the field.
  const wiring = {
    relay: pinOption(values.relay),
    feedback: pinOption(values.feedback),
    s0: pinOption(values.s0),
    statusLed: pinOption(values.led),
    analog: pinOption(values.analog),
    pulsesPerKWh: ppk,
  } as WiringSpec;
  const attachTimeoutMs = msOption('attach-timeout', values['attach-timeout']) ?? 15_000;
  const feedbackTimeoutMs = msOption('feedback-timeout', values['feedback-timeout']);
  const expectPulseWithinMs = msOption('expect-pulse-ms', values['expect-pulse-ms']);
  const clock = new RealClock();
  const random = new Random(`boards-check:${port}`);
  resolveWiring(wiring, { tn, port });
  console.log(`gridbench boards check: TN ${tn} on ${port} (real clock)`);
  const results = await runBoardCompliance({
    clock,
    open: (metrics) =>
      new SerialBoard(
        { kind: 'real', port, wiring, ...(baudRate ? { baudRate } : {}), timing: { attachTimeoutMs } },
        { tn, clock, random, metrics },
      ),
    attachTimeoutMs: attachTimeoutMs + 1_000,
    ...(feedbackTimeoutMs ? { feedbackTimeoutMs } : {}),
    ...(expectPulseWithinMs ? { expectPulseWithinMs } : {}),
  });
  console.log(formatChecks(results));
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.error;
}

async function serve(argv: string[], kind: 'virtual' | 'emulated'): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      seed: { type: 'string', default: `${kind}-uno` },
      'load-w': { type: 'string' },
      ...(kind === 'virtual' ? { 'boot-ms': { type: 'string' } } : {}),
    },
  });
  const clock = new RealClock();
  const loadW = values['load-w'] === undefined ? 500 : Number(values['load-w']);
  if (!(loadW >= 0)) throw new UsageError(`--load-w must be >= 0, got "${String(values['load-w'])}"`);
  const id = `${kind}-uno`;
  const wiring = resolveWiring(undefined, { tn: id, port: 'pty' });
  const options = virtualDeviceOptions(id, wiring, { load: { meanW: loadW } }, { clock, random: new Random(String(values.seed ?? id)) });
  let device: VirtualFirmataDevice | EmulatedUno;
  if (kind === 'virtual') {
    const bootMs = msOption('boot-ms', values['boot-ms'] as string | undefined);
    device = new VirtualFirmataDevice({ ...options, ...(bootMs ? { bootMs } : {}) });
  } else {
    device = new EmulatedUno({ ...options, clock, flash: loadStandardFirmata() });
  }
  const link = await exposeOnPty(device, clock, values.dir ? { dir: String(values.dir) } : {});
  // A pty has no DTR line, so opening it does not reset the chip: it is powered up here, once.
  if (device instanceof EmulatedUno) device.reset('power');
  console.log(
    kind === 'virtual'
      ? `virtual Uno (StandardFirmata 2.5 device side) on ${link.path}`
      : `emulated Uno running ${STANDARD_FIRMATA.name} (${STANDARD_FIRMATA.package}) on ${link.path}; it announces itself about 1.9 s after power-up`,
  );
  console.log(`wiring: relay D${wiring.relay}, feedback D${wiring.feedback}, S0 D${wiring.s0}, LED D${wiring.statusLed}; load ${loadW} W`);
  console.log('Ctrl-C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await link.close();
  device.close();
  return EXIT.ok;
}

async function firmware(): Promise<number> {
  const { path, fetched } = await fetchStandardFirmata();
  console.log(`${fetched ? 'fetched' : 'already there'}: ${path}`);
  console.log(`${STANDARD_FIRMATA.name} for the Arduino Uno, ${STANDARD_FIRMATA.path} of ${STANDARD_FIRMATA.package}`);
  console.log(`checked: tarball ${STANDARD_FIRMATA.integrity}, hex sha256 ${STANDARD_FIRMATA.sha256}`);
  console.log('licences: StandardFirmata LGPL-2.1-or-later, avrgirl-arduino MIT (nodes/boards/README.md)');
  return EXIT.ok;
}

export const command: Command = {
  summary:
    'check a board on a serial path against the board compliance suite, serve a virtual or emulated Uno on a pty, fetch its firmware',
  async run(argv) {
    const [sub, ...rest] = argv;
    try {
      if (sub === 'check') return await check(rest);
      if (sub === 'virtual') return await serve(rest, 'virtual');
      if (sub === 'emulate') return await serve(rest, 'emulated');
      if (sub === 'firmware') return await firmware();
      console.log(USAGE);
      return sub === '--help' || sub === '-h' ? EXIT.ok : EXIT.error;
    } catch (err) {
      if (err instanceof BoardError || err instanceof FirmwareError) {
        console.error(`gridbench boards: ${err.message}`);
        return EXIT.error;
      }
      // parseArgs reports unknown or malformed options as TypeErrors with an ERR_PARSE_ARGS code.
      if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) return usageError('boards', USAGE, err.message);
      throw err;
    }
  },
};
