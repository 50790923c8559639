/**
 * How far V8 lets the heap of a gridbench run grow past what is live (issue 13). With a large heap
 * limit V8 grows the heap up to four times what is live before it collects, so a run's peak memory
 * was mostly garbage: held to 50 %, utility-48h smgw-tls peaked at 2.53 instead of 3.69 GiB at the
 * same CPU time. gridbench run and perf:scale both set it as their processes start (a user's own
 * large run gets the memory the benchmark measured); GRIDBENCH_HEAP_GROWING_PERCENT=0 leaves V8 its
 * own growth, another number sets that growth, and node's own --heap-growing-percent wins over both.
 * V8 reads the setting whenever it sizes the heap after a full collection, so setting it as the
 * process starts does what node's flag does (utility-48h smgw-tls --dcs 2: peak 669 MiB set here,
 * 712 MiB with the flag, 950 MiB with neither).
 */
import { setFlagsFromString } from 'node:v8';
import { nodeFlagValues } from './node-flags';

export const HEAP_GROWTH_ENV = 'GRIDBENCH_HEAP_GROWING_PERCENT';
export const DEFAULT_HEAP_GROWING_PERCENT = 50;
const NODE_FLAG = '--heap-growing-percent';
/** node's flag as V8 takes it: dashes or underscores, `=value` or the value next. */
const NODE_FLAG_FORM = /^--heap[-_]growing[-_]percent(?:=(.*))?$/;

/** node's own --heap-growing-percent in `execArgv`, if given: the first one. */
const nodeFlagValue = (execArgv: readonly string[]): string | undefined => nodeFlagValues(NODE_FLAG_FORM, execArgv, '')[0];

/** The growth this process runs with, in percent (0: V8's own); throws on a setting that is not one. */
export function heapGrowingPercent(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): number {
  const flag = nodeFlagValue(execArgv);
  const [value, from] = flag !== undefined ? [flag, NODE_FLAG] : [env[HEAP_GROWTH_ENV], HEAP_GROWTH_ENV];
  if (value === undefined || value === '') return DEFAULT_HEAP_GROWING_PERCENT;
  if (!/^\d+$/.test(value)) throw new Error(`${from}=${value}: expected a whole number of percent (0: V8's own growth)`);
  return Number(value);
}

/** Sets this process's heap growth (heapGrowingPercent) in V8 and returns it. */
export function applyHeapGrowth(): number {
  const percent = heapGrowingPercent();
  // 0 is V8's own default: its growth follows its collector's speed
  setFlagsFromString(`${NODE_FLAG}=${percent}`);
  return percent;
}

/** The growth as a person reads it. */
export function describeHeapGrowth(percent: number): string {
  return percent === 0 ? "V8's own heap growth" : `heap growth held to ${percent} %`;
}
