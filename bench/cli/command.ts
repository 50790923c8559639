import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One gridbench subcommand. run() returns the process exit code (0 ok, 1 error, 99 threshold failed). */
export interface Command {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes shared by every command (k6's convention for thresholds). */
export const EXIT = { ok: 0, error: 1, thresholdFailed: 99 } as const;

/** A mistake in how a command was called: the problem, then the command's usage, on stderr. */
export function usageError(command: string, usage: string, message: string): number {
  console.error(`gridbench ${command}: ${message}\n\n${usage}`);
  return EXIT.error;
}

/**
 * parseArgs for a command, with its answers to the two cases every command answers alike: an
 * unknown or malformed option is a usage error, and --help prints the usage. Either way it returns
 * the exit code, and the command returns it; otherwise the parsed arguments.
 */
export function parseCommandArgs<T extends ParseArgsConfig & { options: { help: { type: 'boolean' } } }>(
  command: string,
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    return usageError(command, usage, (err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return EXIT.ok;
  }
  return parsed;
}

/**
 * Repeated `--NAME SELECTION=VALUE` options (provision's --host SELECTION=DIR, campaign's --host
 * SELECTION=ENDPOINT) as pairs; the first malformed one as a message naming it and `example`.
 */
export function selectionPairs(option: string, specs: readonly string[], example: string): [string, string][] | string {
  const pairs: [string, string][] = [];
  for (const spec of specs) {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) return `--${option} ${spec}: expected SELECTION=${example}`;
    pairs.push([spec.slice(0, at), spec.slice(at + 1)]);
  }
  return pairs;
}
