/**
 * tcpdump on the loopback interface: an instrument the project did not write, to check the bytes
 * the bench counts on a real TCP connection against what the kernel carried. Needs the `tcpdump`
 * command and the right to capture (root or CAP_NET_RAW); test/setup/system-packages.sh installs
 * it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { waitFor } from '../../bench/perf/tls-openssl';

export interface LoopbackTraffic {
  /** TCP payload bytes towards the captured port (client to server), and from it. */
  readonly bytesTo: number;
  readonly bytesFrom: number;
  readonly packets: number;
  /** Packets the kernel dropped before tcpdump read them (tcpdump's own count): the capture is incomplete when above 0. */
  readonly droppedByKernel: number;
}

export interface LoopbackCapture {
  /** Stops tcpdump (it prints what it captured last) and totals the capture. Safe to call twice. */
  stop(): Promise<LoopbackTraffic>;
}

/** Throws a clear error when tcpdump is not installed. */
export function requireTcpdump(): void {
  if (spawnSync('sh', ['-c', 'command -v tcpdump'], { stdio: 'ignore' }).status === 0) return;
  throw new Error(
    'tcpdump is not installed: this test checks the bytes on the wire with it. ' +
      'Install it with `apt-get install -y tcpdump` (npm test runs test/setup/system-packages.sh, which does so as root).',
  );
}

/** Starts capturing the TCP traffic of one loopback port; resolves once tcpdump listens. */
export async function captureLoopback(port: number): Promise<LoopbackCapture> {
  requireTcpdump();
  // -q: one line per packet ending in its TCP payload length; --immediate-mode and -l: each packet
  // is read and printed as it comes (TPACKET_V3 would hold the last ones in a block past SIGINT).
  const child = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-nn', '-l', '-q', `tcp port ${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(child, /listening on lo/, `tcpdump on port ${port}`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  let stopped: Promise<LoopbackTraffic> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        child.kill('SIGINT');
        await exited;
        let bytesTo = 0;
        let bytesFrom = 0;
        let packets = 0;
        for (const line of out.split('\n')) {
          const m = / IP [\d.]+\.(\d+) > [\d.]+\.(\d+): tcp (\d+)$/.exec(line);
          if (!m) continue;
          packets++;
          if (Number(m[2]) === port) bytesTo += Number(m[3]);
          else if (Number(m[1]) === port) bytesFrom += Number(m[3]);
        }
        const dropped = /(\d+) packets? dropped by kernel/.exec(err);
        return { bytesTo, bytesFrom, packets, droppedByKernel: dropped ? Number(dropped[1]) : 0 };
      })();
      return stopped;
    },
  };
}
