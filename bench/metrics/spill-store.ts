import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeLines, parseLines } from './line-protocol';
import type { Point } from './point';

export interface SpillFile {
  readonly path: string;
  readonly points: number;
}

const SPILL_NAME = /^spill-(\d+)\.lp$/;
export const REJECTED_FILE = 'rejected.lp';

/** Whether a file name is one of a SpillStore's spill files (which sort oldest first). */
export const isSpillFile = (name: string): boolean => SPILL_NAME.test(name);

/**
 * Points that did not fit in memory while InfluxDB was away, kept as line-protocol files in one
 * directory, oldest first. A file is written whole under a temporary name and renamed, so a crash
 * never leaves half a file; it is deleted only after its points were written. Files left by an
 * earlier process in the same directory are picked up again.
 */
export class SpillStore {
  private readonly queue: SpillFile[] = [];
  private seq = 0;
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  /** Points currently on disk. */
  get points(): number {
    let n = 0;
    for (const f of this.queue) n += f.points;
    return n;
  }

  get files(): readonly SpillFile[] {
    return this.queue;
  }

  async write(points: readonly Point[]): Promise<SpillFile> {
    await this.open();
    await mkdir(this.dir, { recursive: true });
    const name = `spill-${String(++this.seq).padStart(6, '0')}.lp`;
    const path = join(this.dir, name);
    await writeFile(`${path}.tmp`, encodeLines(points));
    await rename(`${path}.tmp`, path);
    const file = { path, points: points.length };
    this.queue.push(file);
    return file;
  }

  oldest(): SpillFile | undefined {
    return this.queue[0];
  }

  async read(file: SpillFile): Promise<Point[]> {
    return parseLines(await readFile(file.path, 'utf8'), file.path);
  }

  async remove(file: SpillFile): Promise<void> {
    const i = this.queue.indexOf(file);
    if (i >= 0) this.queue.splice(i, 1);
    await rm(file.path, { force: true });
  }

  /** Keeps points the server refused (HTTP 400) with its reason, instead of dropping them. */
  async reject(points: readonly Point[], reason: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, REJECTED_FILE);
    await appendFile(path, `# refused by InfluxDB: ${reason.replace(/[\r\n]+/g, ' ')}\n${encodeLines(points)}`);
    return path;
  }

  /** Adopts spill files an earlier process left in the directory (created only when needed). */
  open(): Promise<void> {
    this.ready ??= (async () => {
      const names = (await readdir(this.dir).catch(() => [] as string[])).filter(isSpillFile).sort();
      for (const name of names) {
        const path = join(this.dir, name);
        const text = await readFile(path, 'utf8');
        const points = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
        this.queue.push({ path, points });
        this.seq = Math.max(this.seq, Number(SPILL_NAME.exec(name)![1]));
      }
    })();
    return this.ready;
  }
}
