import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { Clock } from '../../../core/clock';
import type { DeviceSession, SerialDevice } from './serial-device';

/**
 * A device (the virtual Firmata device, or firmware in the AVR emulator) on a pseudo-terminal pair
 * made by socat: the device holds one end, and `path` is a serial path johnny-five (or any Firmata
 * client) opens like a USB board. pull() kills socat, so the path vanishes the way a pulled cable
 * takes /dev/ttyACM0 away; restore() brings it back at the same path. A pty is real I/O, so this
 * needs a RealClock.
 */
export interface PtyLink {
  /** Serial path for the host. */
  readonly path: string;
  pull(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface PtyOptions {
  /** Directory for the two links; a fresh temporary one (removed on close) by default. */
  readonly dir?: string;
  /** Ms to wait for socat to create the pair. */
  readonly startTimeoutMs?: number;
}

export async function exposeOnPty(device: SerialDevice, clock: Clock, options: PtyOptions = {}): Promise<PtyLink> {
  if (clock.kind !== 'real') {
    throw new Error(`device ${device.id}: a pty is real I/O; expose it on a pty only under a RealClock`);
  }
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gridbench-pty-'));
  const hostPath = join(dir, 'host');
  const devicePath = join(dir, 'device');
  const startTimeoutMs = options.startTimeoutMs ?? 5_000;
  let socat: ChildProcess | undefined;
  let port: SerialPort | undefined;
  let session: DeviceSession | undefined;

  const start = async (): Promise<void> => {
    const child = spawn('socat', [`pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    socat = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = clock.now() + startTimeoutMs;
    while (!(existsSync(hostPath) && existsSync(devicePath))) {
      const failed = await Promise.race([spawnError, clock.sleep(10).then(() => undefined)]);
      if (failed) throw new Error(`cannot start socat for ${device.id}: ${failed.message}`);
      if (child.exitCode !== null || clock.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`socat did not create the pty pair for ${device.id} in ${dir}: ${stderr.trim() || 'no output'}`);
      }
    }
    device.plug();
    const opened = new SerialPort({ path: devicePath, baudRate: device.baudRate });
    port = opened;
    opened.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      opened.once('open', resolve);
      opened.once('error', reject);
    });
    session = device.attach({
      write: (bytes) => {
        if (opened.isOpen) opened.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
      hangup: () => {},
    });
    const mine = session;
    opened.on('data', (chunk: Buffer) => mine.receive(chunk));
    opened.on('close', () => mine.close());
  };

  const stop = async (): Promise<void> => {
    session?.close();
    session = undefined;
    const child = socat;
    socat = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    const opened = port;
    port = undefined;
    if (opened?.isOpen) await new Promise<void>((resolve) => opened.close(() => resolve()));
  };

  await start();
  return {
    path: hostPath,
    async pull() {
      await stop();
      device.unplug();
    },
    async restore() {
      if (!socat) await start();
    },
    async close() {
      await stop();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
