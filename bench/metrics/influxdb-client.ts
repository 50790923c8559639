import { InfluxDB, type IPoint, type IPoolOptions } from 'influx';
import type { InfluxDBConfig } from './influxdb-config';
import type { Point } from './point';

/** An `influx` client for the configured server and database. */
export function influxClient(config: InfluxDBConfig, pool: IPoolOptions): InfluxDB {
  const url = new URL(config.addr);
  return new InfluxDB({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    database: config.db,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    pool,
  });
}

export const toIPoint = (p: Point): IPoint => ({
  measurement: p.measurement,
  tags: p.tags as Record<string, string>,
  fields: p.fields as Record<string, unknown>,
  timestamp: p.timeUs,
});
