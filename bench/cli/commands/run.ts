/**
 * gridbench run SCENARIO: runs a scenario, shows progress, prints the summary table, writes
 * results/<run-id>/ (summary.json, metrics.lp, report.html). Exit 0 when every threshold holds,
 * 99 when one fails, 1 on an error (with --processes also when the broker, the HES or every TN
 * host was lost: summary.failures).
 */
import { loadScenario, scenarioSize } from '../../scenario/load';
import { runScenario, type Progress } from '../../runner/run';
import { runProcesses } from '../../runner/processes';
import { runPartitioned } from '../../runner/partitioned/coordinator';
import { dashboardLines, summaryTable } from '../../runner/summary-table';
import { DEFAULT_GRAFANA_URL, GRAFANA_URL_ENV } from '../../../dashboards/run-link';
import { formatDuration } from '../../scenario/units';
import { EXIT, parseCommandArgs, usageError, type Command } from '../command';
import { DEFAULT_HEAP_GROWING_PERCENT, describeHeapGrowth, heapGrowingPercent, HEAP_GROWTH_ENV } from '../heap-growth';
import { DEFAULT_SEMI_SPACE_MB, describeSemiSpace, semiSpaceMb } from '../young-generation';
import { ALLOCATOR_ENV, runningAllocator } from '../allocator';
import { gib, heapLimitBytes, heapLimitGiven, heapNeedBytes, planHeap, relaunch } from '../heap-limit';

const USAGE = `usage: gridbench run SCENARIO [--out influxdb=URL]... [--grafana URL] [--seed N] [--processes | --workers N [--partitions P]] [--results DIR] [--quiet]

  --out influxdb=http://host:8086/db   also stream metrics to InfluxDB 1.x (settings: GRIDBENCH_INFLUXDB_*)
  --grafana http://host:3000           Grafana of the printed dashboard link (default: ${GRAFANA_URL_ENV}, else ${DEFAULT_GRAFANA_URL})
  --seed N                             override the scenario's seed
  --processes                          broker, HES, each DC and the TN hosts as separate processes (ZeroMQ TCP, real clock)
  --workers N                          the partitioned engine: the HES's partition and P of segments on N worker threads
                                       (virtual clock, conservative synchronisation; same results for any N; no campaigns)
  --partitions P                       with --workers: partitions of segments (default: the DCs, at most 8)
  --results DIR                        where results/<run-id>/ goes (default: results)
  --quiet                              no progress line

V8's heap grows by at most ${DEFAULT_HEAP_GROWING_PERCENT} % past what is live (a third less memory at the same CPU time);
${HEAP_GROWTH_ENV}=N sets another growth, 0 leaves V8 its own (up to 4 times what is live).
npm run gridbench starts node with semi-spaces of up to ${DEFAULT_SEMI_SPACE_MB} MiB (fewer scavenges of a large run's
young generation); node's own --max-semi-space-size sets another size. A run whose TNs need more heap than node's
limit (about 4 GiB) starts again with --max-old-space-size for most of the machine's memory, unless node was given one,
and on jemalloc where Debian's libjemalloc2 is installed (${ALLOCATOR_ENV}=glibc: glibc's malloc).`;

function progressLine(p: Progress): string {
  const sim = p.phase === 'bootstrap' ? 'bootstrapping' : `${formatDuration(p.simulatedMs)} of ${formatDuration(p.durationMs)} simulated`;
  return `${p.mode}: ${formatDuration(p.wallMs)} elapsed, ${sim}, ${p.frames.toLocaleString('en')} frames, ${p.attacks.toLocaleString('en')} attack frames`;
}

export const command: Command = {
  summary: 'run a scenario (both modes side by side, campaigns, thresholds) and write results/<run-id>/',
  async run(argv) {
    const parsed = parseCommandArgs('run', USAGE, {
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', multiple: true, default: [] },
        grafana: { type: 'string' },
        seed: { type: 'string' },
        processes: { type: 'boolean', default: false },
        workers: { type: 'string' },
        partitions: { type: 'string' },
        results: { type: 'string', default: 'results' },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (typeof parsed === 'number') return parsed;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) return usageError('run', USAGE, 'expected one scenario file');
    const workers = wholeNumber('--workers', values.workers);
    const partitions = wholeNumber('--partitions', values.partitions);
    if (typeof workers === 'string') return usageError('run', USAGE, workers);
    if (typeof partitions === 'string') return usageError('run', USAGE, partitions);
    if (partitions !== undefined && workers === undefined) return usageError('run', USAGE, '--partitions P goes with --workers N');
    if (workers !== undefined && values.processes) return usageError('run', USAGE, '--workers and --processes are two engines: choose one');
    try {
      // sized before it is loaded: a process that only waits for the one it starts holds no topology
      const size = !values.processes && workers === undefined ? scenarioSize(positionals[0]!) : undefined;
      if (size) {
        const plan = planHeap(
          `${size.name} (${size.tns.toLocaleString('en')} TNs)`,
          heapNeedBytes(size.tns, size.modes, heapGrowingPercent()),
          heapLimitBytes(),
          heapLimitGiven(),
        );
        if (plan.kind !== 'fits' && plan.warning) console.error(`gridbench: ${plan.warning}`);
        if (plan.kind === 'relaunch') {
          console.error(`gridbench: ${size.name}: node's heap limit is ${gib(heapLimitBytes())}: starting node again with ${plan.flag}`);
          return await relaunch([plan.flag]);
        }
      }
      const loaded = loadScenario(positionals[0]!);
      const scenario =
        values.seed === undefined ? loaded : { ...loaded, seed: /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed };
      const tty = process.stderr.isTTY;
      let lastLine = 0;
      const onProgress = values.quiet
        ? undefined
        : (p: Progress) => {
            if (tty) process.stderr.write(`\r\x1b[K${progressLine(p)}`);
            else if (p.wallMs - lastLine >= 5_000 || p.phase === 'closing') {
              lastLine = p.wallMs;
              process.stderr.write(`${progressLine(p)}\n`);
            }
          };
      const clock = values.processes
        ? 'real clock (--processes)'
        : workers !== undefined
          ? `${scenario.clock} clock, partitioned on ${workers} worker thread(s)`
          : `${scenario.clock} clock`;
      console.error(
        `gridbench: ${scenario.name} (${scenario.file}), modes ${scenario.modes.join(' + ')}, seed ${scenario.seed}, ${clock}, ${describeSemiSpace(semiSpaceMb())}, ${describeHeapGrowth(heapGrowingPercent())}, heap limit ${gib(heapLimitBytes())}, ${runningAllocator()}'s malloc`,
      );
      const options = {
        out: values.out,
        ...(values.grafana !== undefined ? { grafana: values.grafana } : {}),
        resultsRoot: values.results,
        log: (line: string) => console.error(`gridbench: ${line}`),
        ...(onProgress ? { onProgress } : {}),
      };
      const result = values.processes
        ? await runProcesses(scenario, options)
        : workers !== undefined
          ? await runPartitioned(scenario, { ...options, workers, ...(partitions !== undefined ? { partitions } : {}) })
          : await runScenario(scenario, options);
      if (tty && onProgress) process.stderr.write('\n');
      console.log(summaryTable(result.summary));
      console.log(`\nresults: ${result.runDir}/ (summary.json, metrics.lp, report.html)`);
      console.log(dashboardLines(result.summary, result.runDir, values.out).join('\n'));
      return result.exitCode;
    } catch (err) {
      console.error(`gridbench run: ${(err as Error).message}`);
      return EXIT.error;
    }
  },
};

/** A flag's whole number; the error to show when it is not one; undefined when not given. */
function wholeNumber(flag: string, value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : `${flag} ${value}: expected a whole number`;
}
