/**
 * A worker thread of a partitioned run: hosts some of its partitions (plan.ts hostPartitions) and
 * runs each window the coordinator sends for all of them, one partition after the other in index
 * order, so that a partition's work never interleaves with another's on this thread's event loop
 * (a VirtualClock settles the loop between timers). Any error ends the worker's part: it answers
 * `failed` naming the partition, and the coordinator ends the run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CoordinatorMessage, PartitionEnd, PartitionReport, WorkerMessage, WorkerSetup } from './messages';
import { PartitionHost } from './partition-host';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);
let current = 'building';
const hosts: PartitionHost[] = [];

const failed = (err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  post({ type: 'failed', error: `partition ${current}: ${message}` });
  void Promise.allSettled(hosts.map((h) => h.release()));
};

async function build(): Promise<void> {
  const reports: PartitionReport[] = [];
  let keys = {};
  for (const { partition, stateDir } of setup.partitions) {
    current = `${partition.index} (${partition.selection})`;
    const host = new PartitionHost(setup, partition.index, stateDir);
    hosts.push(host);
    const begun = await host.begin();
    reports.push(begun.report);
    keys = { ...keys, ...begun.keys };
  }
  post({ type: 'built', reports, keys });
}

async function handle(m: CoordinatorMessage): Promise<void> {
  const reports: PartitionReport[] = [];
  if (m.type === 'window') {
    for (const [i, host] of hosts.entries()) {
      current = `${host.index}`;
      reports.push(await host.window(m.horizon, m.deliveries[i] ?? [], m.startAt));
    }
    post({ type: 'window', reports });
    return;
  }
  const ends: PartitionEnd[] = [];
  for (const host of hosts) {
    current = `${host.index}`;
    const closed = await host.close();
    reports.push(closed.report);
    ends.push(closed.end);
  }
  post({ type: 'closed', reports, ends });
}

port.on('message', (m: CoordinatorMessage) => void handle(m).catch(failed));
void build().catch(failed);
