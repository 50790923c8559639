/** One gridbench subcommand. run() returns the process exit code (0 ok, 1 error, 99 threshold failed). */
export interface Command {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes shared by every command (k6's convention for thresholds). */
export const EXIT = { ok: 0, error: 1, thresholdFailed: 99 } as const;
