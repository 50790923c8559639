import type { InfluxDB } from 'influx';
import type { MetricsOutput, Sample } from '../../core/metrics';
import { influxClient, writePoints } from './influxdb-client';
import type { InfluxDBConfig } from './influxdb-config';
import { PointMaker, type Point } from './point';
import { SpillStore } from './spill-store';
import type { Timebase } from './timebase';

export interface InfluxDBOutputOptions {
  readonly config: InfluxDBConfig;
  readonly timebase: Timebase;
  /** Where points go when memory is full and the server is away; usually results/<run-id>/influxdb-spill. */
  readonly spillDir: string;
  /** Outages, recoveries and what stop() could not write. Default: console.warn. */
  readonly log?: (message: string) => void;
}

export interface InfluxDBOutputReport {
  readonly addr: string;
  readonly db: string;
  /** Points handed to the output (samples with at least one writable field). */
  readonly received: number;
  /** Points the server acknowledged. */
  readonly written: number;
  /** Samples without a writable field, and samples added after stop(). */
  readonly invalid: number;
  readonly afterStop: number;
  /** Points that went through a spill file at some time during the run. */
  readonly spilled: number;
  /** Points the server refused (HTTP 400, e.g. a field type conflict), kept in `file`. */
  readonly rejected: { readonly points: number; readonly file?: string; readonly reason?: string };
  /** Points not written when stop() gave up, all of them on disk in `files`. */
  readonly remaining: { readonly points: number; readonly dir: string; readonly files: readonly string[] };
  /** Times the server went from reachable to unreachable (or never answered at first). */
  readonly outages: number;
  readonly lastError?: string;
  /** Successful writes and the longest gap between two of them while points were waiting. */
  readonly writes: number;
  readonly maxWriteGapMs: number;
}

type WriteResult = 'ok' | 'refused' | 'failed';

/** The pool's own backoff would keep a returned server out for up to 10 s; the flusher retries instead. */
const NO_BACKOFF = {
  getDelay: () => 0,
  next() {
    return NO_BACKOFF;
  },
  reset() {
    return NO_BACKOFF;
  },
};

function statusOf(err: unknown): number | undefined {
  const res = (err as { res?: { statusCode?: unknown } } | undefined)?.res;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}

const messageOf = (err: unknown): string =>
  ((err instanceof Error ? err.message : String(err)) || 'unknown error').replace(/\s+/g, ' ').trim();

/**
 * Streams samples to InfluxDB 1.x (k6's InfluxDB output, plus nothing lost). addSamples turns
 * samples into points in memory and returns; a flusher writes them every pushInterval, newest
 * data first after an outage so Grafana catches up with the present, then the backlog.
 *
 * When the server is unreachable, slow (a write times out) or refuses auth, points stay in
 * memory up to bufferPoints, then the oldest spill to line-protocol files in spillDir and are
 * written from there when the server answers again. A point written twice (its write timed out
 * but had landed) has the same series and timestamp, so InfluxDB keeps it once. stop() keeps
 * trying for stopTimeout, then leaves what is left on disk and reports where.
 *
 * The flusher runs on wall-clock timers: it paces network I/O, not simulated time.
 */
export class InfluxDBOutput implements MetricsOutput {
  readonly spill: SpillStore;
  private readonly config: InfluxDBConfig;
  private readonly client: InfluxDB;
  private readonly maker: PointMaker;
  private readonly log: (message: string) => void;
  private queue: Point[] = [];
  private spilling: Promise<void> | undefined;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private dbReady = false;
  private up: boolean | undefined;
  private downSince = 0;
  private lastWriteAt = 0;
  private stats = {
    received: 0,
    written: 0,
    afterStop: 0,
    spilled: 0,
    rejected: 0,
    rejectedFile: undefined as string | undefined,
    rejectedReason: undefined as string | undefined,
    outages: 0,
    lastError: undefined as string | undefined,
    writes: 0,
    maxWriteGapMs: 0,
  };
  private final: InfluxDBOutputReport | undefined;

  constructor(options: InfluxDBOutputOptions) {
    this.config = options.config;
    this.maker = new PointMaker(options.timebase);
    this.spill = new SpillStore(options.spillDir);
    this.log = options.log ?? ((m) => console.warn(`gridbench: influxdb output: ${m}`));
    this.client = influxClient(this.config, {
      maxRetries: 0,
      requestTimeout: this.config.requestTimeoutMs,
      backoff: NO_BACKOFF,
    });
  }

  async start(): Promise<void> {
    // The server may come up after the bench (the docker lab starts both at once): start only
    // looks at the spill directory and leaves connecting to the flusher.
    await this.spill.open();
    this.lastWriteAt = performance.now();
    this.loopDone = this.loop();
  }

  addSamples(samples: readonly Sample[]): void {
    if (this.stopping) {
      this.stats.afterStop += samples.length;
      return;
    }
    try {
      for (const sample of samples) {
        const point = this.maker.point(sample);
        if (!point) continue;
        this.queue.push(point);
        this.stats.received++;
      }
      if (this.queue.length > this.config.bufferPoints) this.spillExcess();
    } catch (err) {
      this.stats.lastError = `addSamples: ${messageOf(err)}`;
    }
  }

  async stop(): Promise<void> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  /** Counters so far; after stop(), the final account. */
  report(): InfluxDBOutputReport {
    if (this.final) return this.final;
    const s = this.stats;
    return {
      addr: this.config.addr,
      db: this.config.db,
      received: s.received,
      written: s.written,
      invalid: this.maker.invalid,
      afterStop: s.afterStop,
      spilled: s.spilled,
      rejected: {
        points: s.rejected,
        ...(s.rejectedFile ? { file: s.rejectedFile } : {}),
        ...(s.rejectedReason ? { reason: s.rejectedReason } : {}),
      },
      remaining: {
        points: this.queue.length + this.spill.points,
        dir: this.spill.dir,
        files: this.spill.files.map((f) => f.path),
      },
      outages: s.outages,
      ...(s.lastError ? { lastError: s.lastError } : {}),
      writes: s.writes,
      maxWriteGapMs: Math.round(s.maxWriteGapMs),
    };
  }

  /** Points waiting in memory and on disk. */
  pending(): { memory: number; disk: number } {
    return { memory: this.queue.length, disk: this.spill.points };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const began = performance.now();
      try {
        await this.flush(began + this.config.pushIntervalMs);
      } catch (err) {
        // Only a filesystem surprise gets here; the points stay where they were for the next tick.
        this.stats.lastError = messageOf(err);
      }
      const wait = this.config.pushIntervalMs - (performance.now() - began);
      if (wait > 0 && !this.stopping) await this.nap(wait);
    }
  }

  private nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /**
   * Writes the points in memory when the tick began, then spill files until `deadline`.
   * Returns true when nothing is left waiting.
   */
  private async flush(deadline: number): Promise<boolean> {
    if (this.queue.length === 0 && !this.spill.oldest()) {
      this.lastWriteAt = performance.now();
      return true;
    }
    if (!this.dbReady && !(await this.ensureDatabase())) return false;
    let budget = this.queue.length;
    while (budget > 0 && this.queue.length > 0) {
      const batch = this.queue.splice(0, Math.min(this.config.batchSize, budget));
      budget -= batch.length;
      if ((await this.write(batch)) === 'failed') {
        // concat, not unshift(...batch): spreading a batch of 100k+ points overflows the stack.
        this.queue = batch.concat(this.queue);
        if (this.queue.length > this.config.bufferPoints) this.spillExcess();
        return false;
      }
    }
    for (let file = this.spill.oldest(); file && performance.now() < deadline; file = this.spill.oldest()) {
      let points: Point[];
      try {
        points = await this.spill.read(file);
      } catch (err) {
        this.stats.lastError = `spill file ${file.path}: ${messageOf(err)}`;
        return false;
      }
      for (let i = 0; i < points.length; i += this.config.batchSize) {
        // A file is removed only once all of it is in; writing part of it again later is harmless.
        if ((await this.write(points.slice(i, i + this.config.batchSize))) === 'failed') return false;
      }
      await this.spill.remove(file);
    }
    return this.queue.length === 0 && !this.spill.oldest();
  }

  private async ensureDatabase(): Promise<boolean> {
    try {
      await this.client.createDatabase(this.config.db);
    } catch (err) {
      // Without admin rights CREATE DATABASE is refused although the database may exist: the
      // first write tells.
      if (statusOf(err) === undefined || statusOf(err)! >= 500) {
        this.markDown(err);
        return false;
      }
    }
    this.dbReady = true;
    return true;
  }

  private async write(points: Point[]): Promise<WriteResult> {
    try {
      await writePoints(this.client, this.config, points);
      this.stats.written += points.length;
      this.markUp();
      return 'ok';
    } catch (err) {
      const status = statusOf(err);
      const message = messageOf(err);
      if (status === 400) {
        // A partial write: InfluxDB stored the valid points and says how many it dropped.
        const dropped = Number(/dropped=(\d+)/.exec(message)?.[1] ?? points.length);
        this.stats.written += points.length - dropped;
        this.stats.rejected += dropped;
        this.stats.rejectedReason ??= message;
        this.markUp();
        try {
          this.stats.rejectedFile = await this.spill.reject(points, message);
        } catch (fileErr) {
          this.stats.lastError = `cannot keep refused points in ${this.spill.dir}: ${messageOf(fileErr)}`;
        }
        return 'refused';
      }
      if (status === 404 && /database not found/i.test(message)) this.dbReady = false;
      this.markDown(err);
      return 'failed';
    }
  }

  private markUp(): void {
    const now = performance.now();
    this.stats.writes++;
    this.stats.maxWriteGapMs = Math.max(this.stats.maxWriteGapMs, now - this.lastWriteAt);
    this.lastWriteAt = now;
    if (this.up === false) {
      const backlog = this.queue.length + this.spill.points;
      this.log(
        `${this.config.addr} answers again after ${((now - this.downSince) / 1000).toFixed(1)} s; writing ${backlog} buffered points`,
      );
    }
    this.up = true;
  }

  private markDown(err: unknown): void {
    this.stats.lastError = messageOf(err);
    if (this.up === false) return;
    this.up = false;
    this.downSince = performance.now();
    this.stats.outages++;
    this.log(
      `cannot write to ${this.config.addr}/${this.config.db} (${this.stats.lastError}); buffering up to ` +
        `${this.config.bufferPoints} points in memory, then in ${this.spill.dir}`,
    );
  }

  /** Moves the oldest points beyond the memory bound to disk, down to half the bound. */
  private spillExcess(): void {
    if (this.spilling) return;
    this.spilling = (async () => {
      try {
        const keep = Math.floor(this.config.bufferPoints / 2);
        while (this.queue.length > this.config.bufferPoints) {
          const chunk = this.queue.splice(0, this.queue.length - keep);
          try {
            await this.spill.write(chunk);
            this.stats.spilled += chunk.length;
          } catch (err) {
            // A full or read-only disk: memory is the only place left, so the bound gives way.
            this.queue = chunk.concat(this.queue);
            this.stats.lastError = `cannot spill to ${this.spill.dir}: ${messageOf(err)}`;
            this.log(this.stats.lastError);
            return;
          }
        }
      } finally {
        this.spilling = undefined;
      }
    })();
  }

  private async finish(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loopDone;
    await this.spilling;
    const deadline = performance.now() + this.config.stopTimeoutMs;
    const flushed = () =>
      this.flush(deadline).catch((err: unknown) => {
        this.stats.lastError = messageOf(err);
        return false;
      });
    while (!(await flushed())) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.config.pushIntervalMs, left)));
    }
    await this.spilling;
    if (this.queue.length > 0) {
      const rest = this.queue;
      this.queue = [];
      try {
        await this.spill.write(rest);
        this.stats.spilled += rest.length;
      } catch (err) {
        this.queue = rest;
        this.stats.lastError = `cannot spill to ${this.spill.dir}: ${messageOf(err)}`;
      }
    }
    this.final = this.report();
    const { remaining, rejected } = this.final;
    if (remaining.points > 0) {
      this.log(
        `${remaining.points} points could not be written to ${this.config.addr}/${this.config.db} ` +
          `(${this.stats.lastError ?? 'no answer'}); they are in ${remaining.dir}/spill-*.lp. Load them later with: ` +
          `npx tsx bench/metrics/replay.ts ${remaining.dir} influxdb=${this.config.addr}/${this.config.db}`,
      );
    }
    if (this.queue.length > 0) this.log(`${this.queue.length} points could not be written anywhere and are lost`);
    if (rejected.points > 0) this.log(`InfluxDB refused ${rejected.points} points (${rejected.reason}); they are kept in ${rejected.file}`);
  }
}
