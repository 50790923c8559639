import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './wire';

export interface BrokerProcess {
  readonly endpoint: string;
  /** Control API URL when the config asked for one. */
  readonly control: string | null;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** The broker as deployed: `gridbench channel --config FILE` in its own process. */
/** `keys`: a state directory with the broker's keys (channel/broker-auth.ts): nodes must prove who they are. */
export async function startBrokerProcess(links: string, keys?: string): Promise<BrokerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-channel-'));
  const config = join(dir, 'channel.yaml');
  writeFileSync(
    config,
    `seed: perf\ntopology: { generate: { dcs: 1, tnsPerDc: 20 } }\n${links}\nbroker: { endpoint: "tcp://127.0.0.1:0"${keys ? `, keys: "${keys}"` : ''} }\nmetrics: { intervalMs: 0 }\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/cli/gridbench.ts', 'channel', '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!out.includes('\n')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`broker process did not start: ${out}`);
    await sleep(20);
  }
  const ready = JSON.parse(out.split('\n')[0]!) as { endpoint: string; control: string | null };
  return {
    endpoint: ready.endpoint,
    control: ready.control,
    child,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
