import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyInfluxUrl,
  describeInfluxConfig,
  INFLUXDB_DEFAULTS,
  influxConfigFromEnv,
  parseDuration,
} from '../../bench/metrics/influxdb-config';
import { InfluxDBOutput } from '../../bench/metrics/influxdb-output';
import { LineProtocolFileOutput } from '../../bench/metrics/line-protocol-file-output';
import { createOutputs, parseOutSpec } from '../../bench/metrics/out-spec';
import { Timebase } from '../../bench/metrics/timebase';

describe('--out influxdb settings: defaults < GRIDBENCH_INFLUXDB_* < URL', () => {
  it('uses the defaults with no environment and no URL', () => {
    expect(parseOutSpec('influxdb', {}).config).toEqual(INFLUXDB_DEFAULTS);
    expect(INFLUXDB_DEFAULTS.pushIntervalMs).toBeLessThanOrEqual(1000);
  });

  it('takes the k6 URL form: address, database path, user info, query parameters', () => {
    const { config } = parseOutSpec('influxdb=http://bench:s3cret@influx.lab:9999/grid?push_interval=250ms&batch_size=100', {});
    expect(config).toMatchObject({
      addr: 'http://influx.lab:9999',
      db: 'grid',
      username: 'bench',
      password: 's3cret',
      pushIntervalMs: 250,
      batchSize: 100,
    });
    expect(describeInfluxConfig(config).password).toBe('***');
    expect(parseOutSpec('influxdb=http://h/db', {}).config.addr).toBe('http://h:8086');
    expect(parseOutSpec('influxdb=https://h/db', {}).config.addr).toBe('https://h:443');
    expect(parseOutSpec('influxdb=http://[::1]:8086/db', {}).config.addr).toBe('http://[::1]:8086');
  });

  it('lets the environment override defaults and the URL override the environment', () => {
    const env = {
      GRIDBENCH_INFLUXDB_ADDR: 'http://env-host:1234',
      GRIDBENCH_INFLUXDB_DB: 'envdb',
      GRIDBENCH_INFLUXDB_PUSH_INTERVAL: '2s',
      GRIDBENCH_INFLUXDB_BUFFER_POINTS: '9000',
      GRIDBENCH_INFLUXDB_USERNAME: 'u',
      GRIDBENCH_INFLUXDB_PASSWORD: 'p',
      GRIDBENCH_INFLUXDB_STOP_TIMEOUT: '30s',
      GRIDBENCH_INFLUXDB_REQUEST_TIMEOUT: '1500',
      GRIDBENCH_INFLUXDB_BATCH_SIZE: '10',
      GRIDBENCH_INFLUXDB_RETENTION_POLICY: 'autogen',
      HOME: '/root',
    };
    expect(parseOutSpec('influxdb', env).config).toEqual({
      addr: 'http://env-host:1234',
      db: 'envdb',
      username: 'u',
      password: 'p',
      retentionPolicy: 'autogen',
      pushIntervalMs: 2000,
      batchSize: 10,
      bufferPoints: 9000,
      requestTimeoutMs: 1500,
      stopTimeoutMs: 30_000,
    });
    const layered = parseOutSpec('influxdb=http://url-host:8086/urldb?push_interval=100ms', env).config;
    expect(layered).toMatchObject({ addr: 'http://url-host:8086', db: 'urldb', pushIntervalMs: 100, bufferPoints: 9000, username: 'u' });
  });

  it.each([
    ['influx=http://h:8086/db', /--out influx=http:\/\/h:8086\/db: unknown output "influx"; known: influxdb/],
    ['influxdb=h:8086/db', /--out influxdb=h:8086\/db: the URL must start with http:\/\/ or https:\/\//],
    ['influxdb=not a url', /--out influxdb=not a url: "not a url" is not a URL/],
    ['influxdb=http://h:8086/a/b', /--out influxdb=http:\/\/h:8086\/a\/b: the database is the one path segment/],
    [
      'influxdb=http://h:8086/db?flush=1s',
      /--out influxdb=http:\/\/h:8086\/db\?flush=1s: unknown parameter "flush"; known: retention_policy, push_interval/,
    ],
    ['influxdb=http://h:8086/db?push_interval=soon', /push_interval: "soon" is not a duration/],
    ['influxdb=http://h:8086/db?batch_size=0', /batch_size: must be at least 1, got 0/],
    ['influxdb=http://h:8086/db?buffer_points=10&batch_size=100', /buffer_points \(10\) must be at least batch_size \(100\)/],
    ['influxdb=http://h:8086/my%20db', /database: "my db" must be letters/],
  ])('rejects %s with an error naming the spec', (spec, message) => {
    expect(() => parseOutSpec(spec, {})).toThrow(message);
  });

  it('names a bad or unknown environment variable', () => {
    expect(() => parseOutSpec('influxdb', { GRIDBENCH_INFLUXDB_PUSH_INTERVAL: 'fast' })).toThrow(
      /--out influxdb: environment variable GRIDBENCH_INFLUXDB_PUSH_INTERVAL: "fast" is not a duration/,
    );
    expect(() => influxConfigFromEnv({ GRIDBENCH_INFLUXDB_URL: 'http://x' })).toThrow(
      /unknown environment variable GRIDBENCH_INFLUXDB_URL; known: GRIDBENCH_INFLUXDB_ADDR/,
    );
  });

  it('reads durations', () => {
    expect([parseDuration('750', 'x'), parseDuration('1.5s', 'x'), parseDuration('2m', 'x')]).toEqual([750, 1500, 120_000]);
  });

  it('keeps a URL without a path on the environment database', () => {
    expect(applyInfluxUrl(INFLUXDB_DEFAULTS, 'http://h:1', 'x').db).toBe('gridbench');
  });
});

describe('createOutputs', () => {
  let scratch: string | undefined;
  afterEach(() => scratch && rmSync(scratch, { recursive: true, force: true }));

  it('always writes metrics.lp in the run directory and adds one output per --out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridbench-out-'));
    scratch = dir;
    const timebase = new Timebase('virtual', 0);
    const none = createOutputs([], { runDir: dir, timebase, env: {} });
    expect(none.map((o) => o.constructor)).toEqual([LineProtocolFileOutput]);
    expect((none[0] as LineProtocolFileOutput).path).toBe(join(dir, 'metrics.lp'));
    const two = createOutputs(['influxdb=http://a:1/x', 'influxdb=http://b:2/y'], { runDir: dir, timebase, env: {} });
    expect(two.map((o) => o.constructor)).toEqual([LineProtocolFileOutput, InfluxDBOutput, InfluxDBOutput]);
    expect(two.slice(1).map((o) => (o as InfluxDBOutput).spill.dir)).toEqual([
      join(dir, 'influxdb-spill-1'),
      join(dir, 'influxdb-spill-2'),
    ]);
    expect(() => createOutputs(['csv=x.csv'], { runDir: dir, timebase, env: {} })).toThrow(/--out csv=x\.csv: unknown output "csv"/);
  });
});
