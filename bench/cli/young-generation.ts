/**
 * The size of V8's young generation in gridbench's processes (issue 13). V8 collects its young
 * generation (a scavenge) each time it fills, copying what is still alive there: a large run always
 * has megabytes of frames and timers in flight, copied again at every scavenge, and with a
 * national run's heap each scavenge also pays in proportion to the old generation. Semi-spaces of
 * up to 128 MiB instead of V8's 16 took national-1m at 300 DCs x0.88 the CPU for 5 % more peak RSS
 * (README, perf table). V8 reads the size once, as the process starts, so it is node's own flag:
 * the npm scripts start node with it and perf:scale hands it to its children; a
 * --max-semi-space-size given to node (its command line or NODE_OPTIONS) wins.
 */
import { nodeFlagValues } from './node-flags';

export const DEFAULT_SEMI_SPACE_MB = 128;
const NODE_FLAG = '--max-semi-space-size';
/** node's flag as V8 takes it: dashes or underscores, `=value` or the value next. */
const NODE_FLAG_FORM = /^--max[-_]semi[-_]space[-_]size(?:=(.*))?$/;

/** The semi-space size node was started with, in MiB; undefined: V8's own. */
export function semiSpaceMb(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): number | undefined {
  const given = nodeFlagValues(NODE_FLAG_FORM, execArgv, nodeOptions).at(-1);
  return given === undefined ? undefined : Number(given);
}

/** The flag a child of this process starts with: none when node was given one (the child inherits it). */
export function semiSpaceFlags(execArgv: readonly string[] = process.execArgv, nodeOptions?: string): string[] {
  return semiSpaceMb(execArgv, nodeOptions) === undefined ? [`${NODE_FLAG}=${DEFAULT_SEMI_SPACE_MB}`] : [];
}

/** The young generation as a person reads it. */
export function describeSemiSpace(mb: number | undefined): string {
  return mb === undefined ? "V8's own young generation" : `semi-spaces of up to ${mb} MiB`;
}
