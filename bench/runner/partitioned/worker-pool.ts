/**
 * The worker threads of a partitioned run, seen from the coordinator: each hosts some partitions
 * (worker.ts), answers every message with one of its own, and is waited for with a deadline, so
 * a worker that throws, exits or hangs fails the run naming it, never hangs it. terminate() ends
 * them all, on every path.
 */
import { Worker } from 'node:worker_threads';
import type { CoordinatorMessage, WorkerMessage, WorkerSetup } from './messages';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

interface Waiting {
  readonly resolve: (m: WorkerMessage) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class PartitionWorker {
  private readonly worker: Worker;
  private waiting: Waiting | undefined;
  /** What ended it, once it has failed or exited: every later wait fails with it. */
  private ended: Error | undefined;
  private early: WorkerMessage | undefined;

  constructor(
    readonly name: string,
    setup: WorkerSetup,
    private readonly deadlineMs: number,
  ) {
    this.worker = new Worker(ENTRY, { workerData: setup });
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'failed') return this.end(new Error(`${this.name} failed: ${m.error}`));
      const w = this.waiting;
      if (!w) return void (this.early = m);
      this.waiting = undefined;
      clearTimeout(w.timer);
      w.resolve(m);
    });
    this.worker.on('error', (err) => this.end(new Error(`${this.name} failed: ${err.stack ?? err.message}`)));
    this.worker.on('exit', (code) => this.end(new Error(`${this.name} exited (code ${code}) before the run ended`)));
  }

  /** The worker's next message (its answer to `message`, when one is given). */
  next(message?: CoordinatorMessage): Promise<WorkerMessage> {
    if (this.ended) return Promise.reject(this.ended);
    if (message) this.worker.postMessage(message);
    if (this.early) {
      const m = this.early;
      this.early = undefined;
      return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.end(new Error(`${this.name} did not answer within ${this.deadlineMs / 1000} s (a window or its close hangs)`)),
        this.deadlineMs,
      );
      this.waiting = { resolve, reject, timer };
    });
  }

  terminate(): Promise<number> {
    this.ended ??= new Error(`${this.name} was terminated`);
    return this.worker.terminate();
  }

  private end(err: Error): void {
    this.ended ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    if (w) {
      clearTimeout(w.timer);
      w.reject(this.ended);
    }
  }
}

export class WorkerPool {
  private readonly workers: PartitionWorker[];

  constructor(setups: readonly WorkerSetup[], deadlineMs: number) {
    this.workers = setups.map(
      (s, i) => new PartitionWorker(`worker ${i + 1} (partitions ${s.partitions.map((p) => p.partition.index).join(', ')})`, s, deadlineMs),
    );
  }

  /** Every worker's next message, in worker order; `messages[i]` goes to worker i first. Rejects with the first failure. */
  exchange(messages?: readonly CoordinatorMessage[]): Promise<WorkerMessage[]> {
    return Promise.all(this.workers.map((w, i) => w.next(messages?.[i])));
  }

  async terminate(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.terminate()));
  }
}
