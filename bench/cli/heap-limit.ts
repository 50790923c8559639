/**
 * The V8 heap limit of a gridbench run (issue 13). node's own limit is about 4 GiB on a 64-bit
 * machine whatever memory the machine has, and V8 stops a process that outgrows it with a fatal
 * "JavaScript heap out of memory": national-1m's million TNs hold 7.6 GiB live, so `gridbench run`
 * on it crashed in its bootstrap (a tenth of it under a tenth of the limit: exit 134 after a
 * minute). A run whose TNs need more heap than node's limit therefore starts again in a node whose
 * limit is most of the machine's memory, the limit perf:scale gives its children. A limit given to
 * node itself (--max-old-space-size or --max-heap-size, on its command line or in NODE_OPTIONS)
 * holds: the run warns when it looks too small.
 */
import { spawn } from 'node:child_process';
import { constants, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { ModeName } from '../../nodes/modes';
import { allocatorEnv } from './allocator';
import { nodeFlagValues } from './node-flags';

/** The share of the machine's memory a large run's heap may take. */
export const HEAP_SHARE_OF_MEMORY = 0.85;

/**
 * V8 heap live per TN, by mode, rounded up from the README's perf table: lean 8.2 KB at
 * national-1m (7.6 GiB for 1,000,000 TNs after 1 h) and 11 KB at city-100k (1.05 GiB for 100,000
 * TNs after 2 h); smgw-tls 24 KB at city-100k after bootstrap, 27.5 KB after its 2 h at 20 DCs
 * (550 MB for 20,000 TNs), 25.7 KB at utility-48h: its TLS sockets, two per TN, and their streams.
 */
export const LIVE_HEAP_PER_TN: Readonly<Record<ModeName, number>> = { lean: 12_000, 'smgw-tls': 28_000 };
/** What any run holds besides its TNs: the young generation, code, the modules. */
const BASE_HEAP_BYTES = 512 * 2 ** 20;

const LIMIT_FLAG_FORM = /^--max[-_](?:old[-_]space|heap)[-_]size(?:=(.*))?$/;

/** --max-old-space-size for most of the machine's memory, in MiB. */
export function machineHeapMb(totalBytes = totalmem()): number {
  return Math.floor((totalBytes / 2 ** 20) * HEAP_SHARE_OF_MEMORY);
}

/** Whether node was given a heap limit of its own (command line or NODE_OPTIONS). */
export function heapLimitGiven(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return nodeFlagValues(LIMIT_FLAG_FORM, execArgv, nodeOptions).length > 0;
}

/**
 * Heap a run of `tns` TNs needs at its peak: the most any of its modes holds live (they run one
 * after the other), grown as V8 grows it past what is live (heap-growth.ts; V8's own growth taken
 * as doubling).
 */
export function heapNeedBytes(tns: number, modes: readonly ModeName[], growingPercent: number): number {
  const perTn = Math.max(...modes.map((m) => LIVE_HEAP_PER_TN[m]));
  const growth = growingPercent === 0 ? 1 : growingPercent / 100;
  return Math.ceil(tns * perTn * (1 + growth) + BASE_HEAP_BYTES);
}

export type HeapPlan =
  | { readonly kind: 'fits' }
  /** Start again with `flag`; `warning` when even that may be too small. */
  | { readonly kind: 'relaunch'; readonly flag: string; readonly warning?: string }
  | { readonly kind: 'warn'; readonly warning: string };

export const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** What a run needing `needBytes` does in a process whose limit is `limitBytes`. */
export function planHeap(what: string, needBytes: number, limitBytes: number, given: boolean, machineMb = machineHeapMb()): HeapPlan {
  if (needBytes <= limitBytes) return { kind: 'fits' };
  const need = `${what} needs about ${gib(needBytes)} of V8 heap`;
  if (given)
    return {
      kind: 'warn',
      warning: `${need}; the limit node was given holds ${gib(limitBytes)}: V8 stops the run ("heap out of memory") if it runs out`,
    };
  const machineBytes = machineMb * 2 ** 20;
  if (machineBytes <= limitBytes)
    return { kind: 'warn', warning: `${need}; node's limit is ${gib(limitBytes)} and this machine has no more to give` };
  return {
    kind: 'relaunch',
    flag: `--max-old-space-size=${machineMb}`,
    ...(needBytes > machineBytes ? { warning: `${need}; ${gib(machineBytes)} is the most this machine's memory gives it` } : {}),
  };
}

/** This process's heap limit (V8's heap_size_limit), in bytes. */
export const heapLimitBytes = (): number => getHeapStatistics().heap_size_limit;

/**
 * Runs this same command again in a node started with `flags` too, on jemalloc where installed
 * (allocator.ts), and resolves with its exit code; the signals that stop a run reach it (a
 * terminal's Ctrl-C reaches both anyway).
 */
export function relaunch(flags: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: allocatorEnv(),
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    const done = (code: number) => {
      for (const signal of signals) process.off(signal, forward);
      resolve(code);
    };
    child.on('error', (err) => {
      console.error(`gridbench: cannot start node again with ${flags.join(' ')}: ${err.message}`);
      done(1);
    });
    // a child stopped by a signal exits as a shell reports it: 128 + the signal's number
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
