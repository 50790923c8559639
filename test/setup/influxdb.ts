/**
 * A real InfluxDB 1.x server (Debian's `influxd`) for the test suites: free loopback ports, a
 * temporary directory, stopped by the suite that started it.
 *
 *   const server = await startInfluxd();      // in beforeAll
 *   server.url                                // http://127.0.0.1:PORT
 *   await server.stop();                      // in afterAll
 *
 * A suite that needs the server fails (it never skips) when influxd is missing or does not come
 * up: the error says why and shows the end of the server's log.
 *
 * stop() and start() keep the ports and the data directory, so a test can take the server away
 * in the middle of a run and bring the same database back; pause() and resume() freeze the
 * process (SIGSTOP/SIGCONT) to play a server that accepts connections but never answers.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bench/runner/processes';
import { influxQueryRunner, type InfluxResponse } from '../../dashboards/query-check';

export interface InfluxServer {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly running: boolean;
  /** Starts the server again on the same ports and data directory. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL); with `{ kill: true }` it dies at once, like a crash. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Freezes the process: connections are accepted by the kernel but nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops the server and deletes its directory. */
  dispose(): Promise<void>;
  /** Runs one InfluxQL statement through the HTTP API and returns the parsed JSON body. */
  query(q: string, db?: string): Promise<InfluxQueryResponse>;
}

/** A /query answer with its results: query() throws when the server sent none. */
export type InfluxQueryResponse = InfluxResponse & { results: NonNullable<InfluxResponse['results']> };

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export function influxdBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(
      'influxd (Debian package "influxdb") is not installed; the InfluxDB tests need a real server. ' +
        'Install it with: sudo apt-get install -y influxdb (npm test runs test/setup/system-packages.sh, which does this as root)',
    );
  }
  return path;
}

function configText(dir: string, httpPort: number, rpcPort: number): string {
  // Everything that would listen or write outside the temp dir is switched off or pointed into it.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  index-version = "inmem"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  max-body-size = 0
  max-row-limit = 0

[logging]
  level = "warn"
`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pingOnce(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

class InfluxdProcess implements InfluxServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly logFile: string;
  private readonly configFile: string;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    private readonly binary: string,
    readonly dir: string,
    readonly port: number,
    rpcPort: number,
  ) {
    this.logFile = join(dir, 'influxd.log');
    this.configFile = join(dir, 'influxdb.conf');
    writeFileSync(this.configFile, configText(dir, port, rpcPort));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const log = openSync(this.logFile, 'a');
    const child = spawn(this.binary, ['run', '-config', this.configFile], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.child = child;
    let exitCode: number | null | undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        exitCode = code;
        if (this.child === child) this.child = undefined;
        process.off('exit', this.killOnExit);
        resolve();
      });
    });
    // A crashed test worker must not leave a server behind.
    process.on('exit', this.killOnExit);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) break;
      if (await pingOnce(this.url)) return;
      await sleep(100);
    }
    await this.stop({ kill: true });
    throw new Error(
      `influxd did not answer on ${this.url}/ping within ${READY_TIMEOUT_MS} ms` +
        (exitCode !== undefined ? ` (it exited with code ${exitCode})` : '') +
        `; config ${this.configFile}; last log lines:\n${this.logTail()}`,
    );
  }

  async stop(options: { kill?: boolean } = {}): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT');
    child.kill(options.kill ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  pause(): void {
    if (!this.child) throw new Error('influxd is not running');
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async query(q: string, db?: string): Promise<InfluxQueryResponse> {
    const body = await influxQueryRunner(this.url, db)(q);
    if (!body.results) throw new Error(`InfluxDB for ${q}: ${body.error ?? JSON.stringify(body)}`);
    return body as InfluxQueryResponse;
  }

  logTail(lines = 20): string {
    if (!existsSync(this.logFile)) return '(no log)';
    return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/**
 * Starts influxd on free loopback ports in a new temporary directory. Retries with other ports
 * when one was taken between choosing and binding it (other suites start servers too).
 */
export async function startInfluxd(): Promise<InfluxServer> {
  const binary = influxdBinary();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-influxd-'));
    const server = new InfluxdProcess(binary, dir, await freePort(), await freePort());
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
      rmSync(dir, { recursive: true, force: true });
      if (!String(err).includes('address already in use')) break;
    }
  }
  throw lastError;
}

/** Every point of a database as written (tags from the series, non-null fields), times in epoch microseconds. */
export async function readAllPoints(
  server: InfluxServer,
  db: string,
): Promise<{ measurement: string; tags: Record<string, string>; fields: Record<string, unknown>; timeUs: number }[]> {
  const params = new URLSearchParams({ q: 'SELECT * FROM /.*/ GROUP BY *', db, epoch: 'u' });
  const res = await fetch(`${server.url}/query?${params}`);
  const body = (await res.json()) as InfluxResponse;
  const result = body.results?.[0];
  if (!res.ok || result?.error) throw new Error(`reading ${db}: ${result?.error ?? body.error ?? res.status}`);
  return (result?.series ?? []).flatMap((series) =>
    (series.values ?? []).map((row) => {
      const fields: Record<string, unknown> = {};
      series.columns.forEach((column, i) => {
        if (i > 0 && row[i] !== null) fields[column] = row[i];
      });
      // GROUP BY * lists every tag key of the database, with "" where a series lacks it.
      const tags = Object.fromEntries(Object.entries(series.tags ?? {}).filter(([, v]) => v !== ''));
      return { measurement: series.name, tags, fields, timeUs: row[0] as number };
    }),
  );
}

/** The first value of a single-statement response (e.g. a count); undefined when there is no data. */
export function firstValue(response: InfluxQueryResponse): unknown {
  const result = response.results[0];
  if (result?.error) throw new Error(result.error);
  return result?.series?.[0]?.values?.[0]?.[1];
}

/** count(field) of a measurement, 0 while the database or the measurement does not exist yet. */
export async function countPoints(server: InfluxServer, db: string, measurement: string, field: string, where = ''): Promise<number> {
  const response = await server.query(`SELECT count("${field}") FROM "${measurement}"${where ? ` WHERE ${where}` : ''}`, db);
  const error = response.results[0]?.error;
  if (error && /database not found/.test(error)) return 0;
  return Number(firstValue(response) ?? 0);
}
