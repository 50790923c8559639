import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricsOutput, Sample } from '../../core/metrics';
import { encodeLine, LINE_PRECISION } from './line-protocol';
import { PointMaker } from './point';
import type { Timebase } from './timebase';

export const METRICS_FILE = 'metrics.lp';

export interface LineProtocolFileOptions {
  /** Usually results/<run-id>/metrics.lp */
  readonly path: string;
  readonly timebase: Timebase;
  /** Written as `# key=value` comment lines at the top (run id, scenario...). */
  readonly header?: Readonly<Record<string, string>>;
  /** How often buffered lines go to the file, so it can be followed while the run goes on. */
  readonly flushIntervalMs?: number;
}

export interface LineProtocolFileReport {
  readonly path: string;
  readonly points: number;
  /** Samples without a writable field (NaN, empty), left out. */
  readonly invalid: number;
}

const CHUNK_CHARS = 256 * 1024;

/**
 * The embedded default output: every sample as one line of InfluxDB line protocol in a file,
 * needing no server. addSamples only encodes into memory; a timer and a size threshold hand the
 * text to a write stream, which writes in the background.
 */
export class LineProtocolFileOutput implements MetricsOutput {
  private readonly maker: PointMaker;
  private pending: string[] = [];
  private pendingChars = 0;
  private stream: WriteStream | undefined;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private points = 0;
  private stopped = false;
  private headerWritten = false;

  constructor(private readonly options: LineProtocolFileOptions) {
    this.maker = new PointMaker(options.timebase);
  }

  get path(): string {
    return this.options.path;
  }

  async start(): Promise<void> {
    const { path } = this.options;
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new Error(`metrics file ${path}: ${(err as Error).message}`, { cause: err });
    }
    const stream = createWriteStream(path, { flags: 'w' });
    stream.on('error', (err) => {
      this.failure ??= new Error(`metrics file ${path}: ${err.message}`);
    });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(new Error(`metrics file ${path}: ${err.message}`)));
    });
    this.stream = stream;
    this.timer = setInterval(() => this.flush(), this.options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  addSamples(samples: readonly Sample[]): void {
    if (this.stopped) return;
    try {
      for (const sample of samples) {
        const point = this.maker.point(sample);
        if (!point) continue;
        const line = encodeLine(point) + '\n';
        this.pending.push(line);
        this.pendingChars += line.length;
        this.points++;
      }
      if (this.pendingChars >= CHUNK_CHARS) this.flush();
    } catch (err) {
      this.failure ??= new Error(`metrics file ${this.options.path}: ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.flush();
    const stream = this.stream;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
    if (this.failure) throw this.failure;
  }

  report(): LineProtocolFileReport {
    return { path: this.options.path, points: this.points, invalid: this.maker.invalid };
  }

  /**
   * The header goes out with the first lines or at stop: a virtual-clock run is placed when it
   * ends, and its samples (held until then) come after the placement is known.
   */
  private writeHeader(stream: WriteStream): void {
    if (this.headerWritten) return;
    this.headerWritten = true;
    const { timebase, header = {} } = this.options;
    const lines = [
      `# gridbench metrics: InfluxDB line protocol, timestamps in epoch microseconds (precision=${LINE_PRECISION})`,
      `# ${timebase.placed ? timebase.describe() : `clock=${timebase.clock} (not placed: the run ended before its samples were)`}`,
      ...Object.entries(header).map(([k, v]) => `# ${k}=${v.replace(/[\r\n]+/g, ' ')}`),
    ];
    stream.write(lines.join('\n') + '\n');
  }

  private flush(): void {
    if (!this.stream) return;
    if (this.pending.length > 0 || this.stopped) this.writeHeader(this.stream);
    if (this.pending.length === 0) return;
    this.stream.write(this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
  }
}
