import { join } from 'node:path';
import type { MetricsOutput } from '../../core/metrics';
import { applyInfluxUrl, influxConfigFromEnv, type InfluxDBConfig } from './influxdb-config';
import { InfluxDBOutput } from './influxdb-output';
import { LineProtocolFileOutput, METRICS_FILE } from './line-protocol-file-output';
import type { Timebase } from './timebase';

/**
 * `--out` specs in k6's form, `kind[=argument]`. The line-protocol file in the run's results
 * directory is always written (the embedded default); each --out adds an output.
 *
 *   influxdb                         settings from GRIDBENCH_INFLUXDB_* (default http://localhost:8086/gridbench)
 *   influxdb=http://host:8086/db     the URL overrides the environment, k6 style
 *   influxdb=http://u:p@host:8086/db?push_interval=500ms&buffer_points=200000
 */
export type OutSpec = { readonly kind: 'influxdb'; readonly config: InfluxDBConfig };

type Env = Readonly<Record<string, string | undefined>>;

const KINDS: Record<string, (argument: string, env: Env, where: string) => OutSpec> = {
  influxdb: (argument, env, where) => {
    let base: InfluxDBConfig;
    try {
      base = influxConfigFromEnv(env);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
    }
    return { kind: 'influxdb', config: applyInfluxUrl(base, argument, where) };
  },
};

export const OUT_KINDS = Object.keys(KINDS);

/** Checks one --out value; the error names the spec and what is wrong with it. */
export function parseOutSpec(spec: string, env: Env = process.env): OutSpec {
  const where = `--out ${spec}`;
  const eq = spec.indexOf('=');
  const kind = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  const argument = eq < 0 ? '' : spec.slice(eq + 1).trim();
  const make = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  if (!make) throw new Error(`${where}: unknown output "${kind}"; known: ${OUT_KINDS.join(', ')}`);
  return make(argument, env, where);
}

export interface OutputContext {
  /** results/<run-id>/ */
  readonly runDir: string;
  readonly timebase: Timebase;
  /** Comment lines at the top of metrics.lp (run id, scenario, seed...). */
  readonly header?: Readonly<Record<string, string>>;
  readonly env?: Env;
  readonly log?: (message: string) => void;
}

export const INFLUXDB_SPILL_DIR = 'influxdb-spill';

/** The outputs of a run: the metrics.lp file first, then one per --out spec. */
export function createOutputs(specs: readonly string[], context: OutputContext): MetricsOutput[] {
  const parsed = specs.map((spec) => parseOutSpec(spec, context.env ?? process.env));
  const outputs: MetricsOutput[] = [
    new LineProtocolFileOutput({
      path: join(context.runDir, METRICS_FILE),
      timebase: context.timebase,
      ...(context.header ? { header: context.header } : {}),
    }),
  ];
  parsed.forEach((out, i) => {
    outputs.push(
      new InfluxDBOutput({
        config: out.config,
        timebase: context.timebase,
        // Two InfluxDB outputs in one run must not share spill files.
        spillDir: join(context.runDir, parsed.length > 1 ? `${INFLUXDB_SPILL_DIR}-${i + 1}` : INFLUXDB_SPILL_DIR),
        ...(context.log ? { log: context.log } : {}),
      }),
    );
  });
  return outputs;
}
