import { appendFileSync, closeSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../core/metrics';

export const HELD_SAMPLES_FILE = 'held-samples.jsonl';
const RELEASE_BATCH = 10_000;

/**
 * The samples of a virtual-clock run, held until the run ends and its placement is known
 * (Timebase.placeEnd in ./timebase.ts), then handed to the outputs in the order they came. A
 * virtual run is minutes of wall time for hours of simulated time, so nothing of it could be
 * watched live anyway; what matters is that every output gets the same placement.
 *
 * Up to `memorySamples` stay in memory; beyond that they go, oldest first, to a JSON-lines file
 * in `dir` (one line per spill: a JSON array, one stringify and one parse for each) that release()
 * reads back and deletes, so a 48-hour run holds no more than that in
 * memory. A file that cannot be written leaves the samples in memory (the bound gives way).
 */
export class HeldSamples {
  private memory: Sample[] = [];
  private onDisk = 0;
  /** Bytes of each line of the file, in order. */
  private readonly spills: number[] = [];
  private released = false;
  private diskError: string | undefined;
  /** The earliest and latest clock time of the samples added. */
  first = Infinity;
  last = -Infinity;

  constructor(
    private readonly dir: string,
    // a sample in memory takes about 360 bytes: 25,000 are 9 MiB
    private readonly memorySamples = 25_000,
  ) {}

  get file(): string {
    return join(this.dir, HELD_SAMPLES_FILE);
  }

  get count(): number {
    return this.memory.length + this.onDisk;
  }

  /** The first error writing the file, if any (the samples it held stayed in memory). */
  get error(): string | undefined {
    return this.diskError;
  }

  add(sample: Sample): void {
    if (this.released) throw new Error('held samples: added after release');
    if (sample.time < this.first) this.first = sample.time;
    if (sample.time > this.last) this.last = sample.time;
    this.memory.push(sample);
    if (this.memory.length >= this.memorySamples && this.diskError === undefined) this.spill();
  }

  /** Hands every sample to `to` in the order added, in batches; the file is deleted after. */
  async release(to: (samples: readonly Sample[]) => void): Promise<void> {
    this.released = true;
    if (this.onDisk > 0) {
      const fd = openSync(this.file, 'r');
      try {
        for (const bytes of this.spills) {
          const line = Buffer.allocUnsafe(bytes);
          let read = 0;
          while (read < bytes) read += readSync(fd, line, read, bytes - read, null);
          const spilled = JSON.parse(line.toString('utf8')) as Sample[];
          for (let i = 0; i < spilled.length; i += RELEASE_BATCH) to(spilled.slice(i, i + RELEASE_BATCH));
          // the outputs' writes go on while the next spill is read
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        closeSync(fd);
      }
      rmSync(this.file, { force: true });
      this.onDisk = 0;
    }
    for (let i = 0; i < this.memory.length; i += RELEASE_BATCH) to(this.memory.slice(i, i + RELEASE_BATCH));
    this.memory = [];
  }

  private spill(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const line = Buffer.from(JSON.stringify(this.memory) + '\n', 'utf8');
      appendFileSync(this.file, line);
      this.spills.push(line.length);
      this.onDisk += this.memory.length;
      this.memory = [];
    } catch (err) {
      this.diskError = `cannot hold samples in ${this.file}: ${(err as Error).message}`;
    }
  }
}
