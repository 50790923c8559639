import { InfluxDB, type IPoint, type IPoolOptions } from 'influx';
import type { InfluxDBConfig } from './influxdb-config';
import { LINE_PRECISION } from './line-protocol';
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

const toIPoint = (p: Point): IPoint => ({
  measurement: p.measurement,
  tags: p.tags as Record<string, string>,
  fields: p.fields as Record<string, unknown>,
  timestamp: p.timeUs,
});

/** One HTTP write of points, at the outputs' precision, to the configured retention policy. */
export function writePoints(client: InfluxDB, config: InfluxDBConfig, points: readonly Point[]): Promise<void> {
  return client.writePoints(points.map(toIPoint), {
    precision: LINE_PRECISION,
    ...(config.retentionPolicy ? { retentionPolicy: config.retentionPolicy } : {}),
  });
}
