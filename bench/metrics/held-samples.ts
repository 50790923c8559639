import { appendFileSync, createReadStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
 * in `dir` that release() reads back and deletes, so a 48-hour run holds no more than that in
 * memory. A file that cannot be written leaves the samples in memory (the bound gives way).
 */
export class HeldSamples {
  private memory: Sample[] = [];
  private onDisk = 0;
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
      const lines = createInterface({ input: createReadStream(this.file, 'utf8'), crlfDelay: Infinity });
      let batch: Sample[] = [];
      for await (const line of lines) {
        if (!line) continue;
        batch.push(JSON.parse(line) as Sample);
        if (batch.length >= RELEASE_BATCH) {
          to(batch);
          batch = [];
        }
      }
      if (batch.length) to(batch);
      rmSync(this.file, { force: true });
      this.onDisk = 0;
    }
    for (let i = 0; i < this.memory.length; i += RELEASE_BATCH) to(this.memory.slice(i, i + RELEASE_BATCH));
    this.memory = [];
  }

  private spill(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      appendFileSync(this.file, this.memory.map((s) => JSON.stringify(s)).join('\n') + '\n');
      this.onDisk += this.memory.length;
      this.memory = [];
    } catch (err) {
      this.diskError = `cannot hold samples in ${this.file}: ${(err as Error).message}`;
    }
  }
}
