import { Duplex } from 'node:stream';
import type { Clock } from '../../../core/clock';
import type { VirtualFirmataDevice } from './firmata-device';

/** The host's end of an in-memory serial link: what firmata-io takes as its transport. */
export interface MemoryLink {
  readonly stream: Duplex;
  close(): void;
}

/**
 * Connects a host to the device through an in-process duplex stream. It opens on the clock (as a
 * serial port would, asynchronously), and a pulled cable reaches the host as a close event marked
 * `disconnected`, the way serialport reports a vanished device.
 */
export function connectInMemory(device: VirtualFirmataDevice, clock: Clock): MemoryLink {
  let open = true;
  const stream = new Duplex({
    emitClose: false,
    read() {},
    write(chunk: Buffer, _encoding, done) {
      session.receive(chunk);
      done();
    },
  });
  const session = device.attach({
    write: (bytes) => {
      if (open) stream.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    hangup: () => {
      if (!open) return;
      open = false;
      stream.emit('close', Object.assign(new Error(`${device.id}: cable pulled`), { disconnected: true }));
      stream.destroy();
    },
  });
  clock.setTimer(0, () => {
    if (open) stream.emit('open');
  });
  return {
    stream,
    close() {
      if (!open) return;
      open = false;
      session.close();
      stream.destroy();
    },
  };
}
