/**
 * Loads line-protocol files into InfluxDB: the spill files an InfluxDB output left behind when
 * the server did not come back in time (they are deleted once written), or a run's metrics.lp
 * (kept). Usage:
 *
 *   npx tsx bench/metrics/replay.ts results/<run-id>/influxdb-spill influxdb=http://localhost:8086/gridbench
 *   npx tsx bench/metrics/replay.ts results/<run-id>/metrics.lp influxdb=http://localhost:8086/gridbench
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { influxClient, writePoints } from './influxdb-client';
import type { InfluxDBConfig } from './influxdb-config';
import { parseLines } from './line-protocol';
import { parseOutSpec } from './out-spec';
import { isSpillFile } from './spill-store';

/** The .lp files of a path: the file itself, or a directory's spill files in order. */
export function lineProtocolFiles(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new Error(`replay: ${path} does not exist`);
  if (stat.isFile()) return [path];
  return readdirSync(path)
    .filter(isSpillFile)
    .sort()
    .map((name) => join(path, name));
}

/** Writes every point of the files; returns how many. Spill files are deleted once written. */
export async function replayLineProtocol(files: readonly string[], config: InfluxDBConfig): Promise<number> {
  const client = influxClient(config, { maxRetries: 2, requestTimeout: config.requestTimeoutMs });
  await client.createDatabase(config.db).catch(() => undefined);
  let total = 0;
  for (const file of files) {
    const points = parseLines(await readFile(file, 'utf8'), file);
    for (let i = 0; i < points.length; i += config.batchSize) {
      try {
        await writePoints(client, config, points.slice(i, i + config.batchSize));
      } catch (err) {
        throw new Error(`replay: writing ${file} to ${config.addr}/${config.db}: ${(err as Error).message}`, { cause: err });
      }
    }
    total += points.length;
    if (isSpillFile(basename(file))) await rm(file);
  }
  return total;
}

async function main(argv: string[]): Promise<number> {
  const [path, spec = 'influxdb'] = argv;
  if (!path) {
    console.error('usage: npx tsx bench/metrics/replay.ts FILE_OR_SPILL_DIR [influxdb=http://host:8086/db]');
    return 1;
  }
  const out = parseOutSpec(spec);
  const files = lineProtocolFiles(path);
  const points = await replayLineProtocol(files, out.config);
  console.log(`replay: wrote ${points} points from ${files.length} file(s) to ${out.config.addr}/${out.config.db}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error((err as Error).message);
      process.exitCode = 1;
    },
  );
}
