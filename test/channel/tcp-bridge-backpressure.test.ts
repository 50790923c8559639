import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { afterTest, bridgeOn, listen, outcomeOf, sha, sinkServer } from './bridge-bench';
import { waitFor } from './wire-bench';

describe('TCP bridge: the peers see the link', () => {
  it("makes socat's sender wait for the link instead of writing into the bridge", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-socat-'));
    afterTest(() => rmSync(dir, { recursive: true, force: true }));
    const data = randomBytes(1_000_000);
    writeFileSync(join(dir, 'upload'), data);
    const sink = await sinkServer();
    // 4 Mbit/s, no overhead: 1 MB takes 2 s on the wire.
    const { bridge } = await bridgeOn({ bitRate: 4_000_000, overheadBytes: 0, maxPsdu: null }, sink.port);
    const t0 = Date.now();
    // A NIC-sized send buffer: loopback's autotuned one would take megabytes before socat waits.
    const socat = spawn('socat', ['-u', '-t', '0', `OPEN:${join(dir, 'upload')}`, `TCP:127.0.0.1:${bridge.port},sndbuf=16384`]);
    afterTest(() => void socat.kill());
    const wroteAllAfter = await new Promise<number>((resolve, reject) => {
      socat.on('error', reject);
      socat.on('exit', (code) => (code === 0 ? resolve(Date.now() - t0) : reject(new Error(`socat exited with ${code}`))));
    });
    const { received } = await sink.outcomes[0]!;
    expect(sha(received)).toBe(sha(data));
    // socat had written the file when the link had carried all but the bridge's buffer and the kernels' (some 100 kB).
    expect(wroteAllAfter).toBeGreaterThanOrEqual(1500);
  });

  it("stops the upstream's sender when the client does not read, holding at most its buffer", async () => {
    const total = 32 << 20;
    let accepted = 0;
    let serverDone = false;
    const port = await listen(
      createServer((s) => {
        s.on('error', () => {});
        const chunk = randomBytes(1 << 20);
        const more = (): void => {
          if (accepted >= total) {
            serverDone = true;
            s.end();
            return;
          }
          s.write(chunk, () => {
            accepted += chunk.length;
            more();
          });
        };
        more();
      }),
    );
    const { bridge } = await bridgeOn({}, port, { segmentBytes: 16_384, bufferBytes: 256 * 1024 });
    const client: Socket = connect({ port: bridge.port, host: '127.0.0.1' });
    afterTest(() => void client.destroy());
    client.pause();
    await waitFor(() => bridge.stats.bytesDown > 1 << 20, 'the download under way');
    // A second of not reading: the bridge holds no more than its buffer, the server waits.
    await new Promise((r) => setTimeout(r, 1000));
    expect(serverDone).toBe(false);
    expect(accepted).toBeLessThan(total / 2);
    expect(bridge.stats.peakBufferedBytes).toBeLessThanOrEqual(256 * 1024 + 65_536);
    const outcome = outcomeOf(client);
    client.resume();
    const { received, ended } = await outcome;
    expect(ended).toBe('eof');
    expect(received.length).toBe(total);
  });
});
