/**
 * Settings of the InfluxDB output, layered like k6's: defaults, then GRIDBENCH_INFLUXDB_*
 * environment variables, then the `--out influxdb=URL` spec (its address, database path, user
 * info and query parameters). Each setting is declared once below with its environment name,
 * query name and meaning; the README lists them.
 */
export interface InfluxDBConfig {
  /** http(s)://host:port of the InfluxDB 1.x HTTP API. */
  readonly addr: string;
  readonly db: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly retentionPolicy: string | undefined;
  /** How often buffered points are written (Grafana shows the run with at most this delay). */
  readonly pushIntervalMs: number;
  /** Points per HTTP write. */
  readonly batchSize: number;
  /** Points kept in memory while InfluxDB is away or slow; beyond this they spill to disk. */
  readonly bufferPoints: number;
  /** A write taking longer counts as a failure (the points stay buffered and are retried). */
  readonly requestTimeoutMs: number;
  /** How long stop() keeps trying to write what is left before leaving it on disk. */
  readonly stopTimeoutMs: number;
}

export const INFLUXDB_DEFAULTS: InfluxDBConfig = {
  addr: 'http://localhost:8086',
  db: 'gridbench',
  username: undefined,
  password: undefined,
  retentionPolicy: undefined,
  pushIntervalMs: 1000,
  batchSize: 5000,
  bufferPoints: 50_000,
  requestTimeoutMs: 5000,
  stopTimeoutMs: 10_000,
};

type Kind = 'url' | 'name' | 'text' | 'duration' | 'count';

interface Setting {
  readonly key: keyof InfluxDBConfig;
  readonly env: string;
  /** Name as a query parameter of the --out URL (undefined: only through the URL itself). */
  readonly query: string | undefined;
  readonly kind: Kind;
  readonly min?: number;
  readonly doc: string;
}

export const INFLUXDB_SETTINGS: readonly Setting[] = [
  { key: 'addr', env: 'GRIDBENCH_INFLUXDB_ADDR', query: undefined, kind: 'url', doc: 'server address, http(s)://host:port' },
  { key: 'db', env: 'GRIDBENCH_INFLUXDB_DB', query: undefined, kind: 'name', doc: 'database (created if missing)' },
  { key: 'username', env: 'GRIDBENCH_INFLUXDB_USERNAME', query: undefined, kind: 'text', doc: 'user (or user:password@ in the URL)' },
  { key: 'password', env: 'GRIDBENCH_INFLUXDB_PASSWORD', query: undefined, kind: 'text', doc: 'password' },
  {
    key: 'retentionPolicy',
    env: 'GRIDBENCH_INFLUXDB_RETENTION_POLICY',
    query: 'retention_policy',
    kind: 'name',
    doc: 'retention policy to write to (default: the database default)',
  },
  {
    key: 'pushIntervalMs',
    env: 'GRIDBENCH_INFLUXDB_PUSH_INTERVAL',
    query: 'push_interval',
    kind: 'duration',
    min: 10,
    doc: 'how often buffered points are written',
  },
  { key: 'batchSize', env: 'GRIDBENCH_INFLUXDB_BATCH_SIZE', query: 'batch_size', kind: 'count', min: 1, doc: 'points per HTTP write' },
  {
    key: 'bufferPoints',
    env: 'GRIDBENCH_INFLUXDB_BUFFER_POINTS',
    query: 'buffer_points',
    kind: 'count',
    min: 1,
    doc: 'points held in memory while the server is away; more spill to disk',
  },
  {
    key: 'requestTimeoutMs',
    env: 'GRIDBENCH_INFLUXDB_REQUEST_TIMEOUT',
    query: 'request_timeout',
    kind: 'duration',
    min: 10,
    doc: 'a write slower than this is retried later',
  },
  {
    key: 'stopTimeoutMs',
    env: 'GRIDBENCH_INFLUXDB_STOP_TIMEOUT',
    query: 'stop_timeout',
    kind: 'duration',
    min: 0,
    doc: 'how long the end of a run waits for the server before leaving points on disk',
  },
];

/** "1500", "1500ms", "1.5s", "2m" to milliseconds. */
export function parseDuration(text: string, where: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) throw new Error(`${where}: "${text}" is not a duration (examples: 500ms, 1s, 2m)`);
  const scale = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1;
  return Math.round(Number(m[1]) * scale);
}

function parseValue(setting: Setting, text: string, where: string): string | number {
  switch (setting.kind) {
    case 'duration': {
      const ms = parseDuration(text, where);
      if (ms < (setting.min ?? 0)) throw new Error(`${where}: must be at least ${setting.min} ms, got "${text}"`);
      return ms;
    }
    case 'count': {
      if (!/^\s*\d+\s*$/.test(text)) throw new Error(`${where}: "${text}" is not a whole number`);
      const n = Number(text);
      if (n < (setting.min ?? 0)) throw new Error(`${where}: must be at least ${setting.min}, got ${n}`);
      return n;
    }
    case 'url':
      return parseAddr(text, where);
    case 'name':
      if (!/^[A-Za-z0-9_.-]+$/.test(text)) throw new Error(`${where}: "${text}" must be letters, digits, '_', '.' or '-'`);
      return text;
    case 'text':
      return text;
  }
}

function parseAddr(text: string, where: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${where}: "${text}" is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: "${text}" must start with http:// or https://`);
  return `${url.protocol}//${url.host}`;
}

const settingOf = (key: keyof InfluxDBConfig): Setting => INFLUXDB_SETTINGS.find((s) => s.key === key)!;

function withSetting(config: InfluxDBConfig, setting: Setting, value: string | number): InfluxDBConfig {
  return { ...config, [setting.key]: value };
}

/** Defaults overridden by GRIDBENCH_INFLUXDB_* variables of `env`. */
export function influxConfigFromEnv(env: Readonly<Record<string, string | undefined>>): InfluxDBConfig {
  let config = INFLUXDB_DEFAULTS;
  for (const setting of INFLUXDB_SETTINGS) {
    const text = env[setting.env];
    if (text === undefined || text === '') continue;
    config = withSetting(config, setting, parseValue(setting, text, `environment variable ${setting.env}`));
  }
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith('GRIDBENCH_INFLUXDB_') && !INFLUXDB_SETTINGS.some((s) => s.env === name),
  );
  if (unknown.length > 0)
    throw new Error(`unknown environment variable ${unknown.join(', ')}; known: ${INFLUXDB_SETTINGS.map((s) => s.env).join(', ')}`);
  return checked(config, 'InfluxDB settings from the environment');
}

/**
 * Applies an `--out influxdb=URL` argument on top of `base`: http(s)://[user[:password]@]host[:port]/db
 * with optional query parameters (push_interval, batch_size, ...). An empty URL keeps base.
 */
export function applyInfluxUrl(base: InfluxDBConfig, urlText: string, where: string): InfluxDBConfig {
  if (urlText === '') return base;
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new Error(`${where}: "${urlText}" is not a URL (expected http://host:port/database)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${where}: the URL must start with http:// or https://`);
  const port = url.port || (url.protocol === 'https:' ? '443' : '8086');
  // WHATWG hostname keeps the brackets of an IPv6 address.
  let config: InfluxDBConfig = { ...base, addr: `${url.protocol}//${url.hostname}:${port}` };
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  if (path.includes('/')) throw new Error(`${where}: the database is the one path segment after the host, got "/${path}"`);
  if (path) config = withSetting(config, settingOf('db'), parseValue(settingOf('db'), path, `${where}: database`));
  if (url.username) config = { ...config, username: decodeURIComponent(url.username) };
  if (url.password) config = { ...config, password: decodeURIComponent(url.password) };
  for (const [name, text] of url.searchParams) {
    const setting = INFLUXDB_SETTINGS.find((s) => s.query === name);
    if (!setting)
      throw new Error(
        `${where}: unknown parameter "${name}"; known: ${INFLUXDB_SETTINGS.flatMap((s) => (s.query ? [s.query] : [])).join(', ')}`,
      );
    config = withSetting(config, setting, parseValue(setting, text, `${where}: ${name}`));
  }
  return checked(config, where);
}

function checked(config: InfluxDBConfig, where: string): InfluxDBConfig {
  if (config.bufferPoints < config.batchSize)
    throw new Error(`${where}: buffer_points (${config.bufferPoints}) must be at least batch_size (${config.batchSize})`);
  return config;
}

/** The settings without the password, for logs and summary.json. */
export function describeInfluxConfig(config: InfluxDBConfig): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    out[key] = key === 'password' ? '***' : value;
  }
  return out;
}
