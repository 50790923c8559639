/**
 * The one way the bench reads a configuration file (scenario, campaign, channel config, provisioned
 * state): read the text, parse YAML (JSON is YAML), check it against a zod schema. Every problem is
 * a ConfigError that names the file, the field path and what was expected, so a user can fix it
 * without reading code: `bench/scenarios/x.yaml: topology.tnsPerDc: expected a number ...`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    /** The file (or other source, such as "request body") the bad input came from. */
    readonly file: string,
    /** Dotted path of the bad field, "(root)", "(file)" or "line N" for YAML syntax errors. */
    readonly field: string,
    readonly expected: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${field}: ${expected}`, options);
    this.name = 'ConfigError';
  }
}

/** "loss.p: expected number <= 1, got 2" style lines, one per issue, joined by "; ". */
export function describeZodIssues(error: z.ZodError, prefix = ''): string {
  return error.issues.map((i) => `${fieldPath(i.path, prefix)}: ${i.message}`).join('; ');
}

const fieldPath = (path: readonly PropertyKey[], prefix = ''): string =>
  [prefix, ...path.map(String)].filter(Boolean).join('.') || '(root)';

/** The first issue of a failed parse as a ConfigError (the field of the first problem, all problems in the message). */
export function configErrorOf(file: string, error: z.ZodError, prefix = ''): ConfigError {
  const first = error.issues[0];
  const rest = error.issues.slice(1).map((i) => `${fieldPath(i.path, prefix)}: ${i.message}`);
  return new ConfigError(file, fieldPath(first?.path ?? [], prefix), [first?.message ?? 'invalid', ...rest].join('; '));
}

/** Parses YAML (or JSON) text; a syntax error names its line. */
export function parseConfigText(text: string, file: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}` : '(yaml)';
    throw new ConfigError(file, where, `expected valid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}

/** Reads a file's text; a missing or unreadable file is a ConfigError naming it. */
export function readConfigText(file: string, what = 'configuration'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      file,
      '(file)',
      code === 'ENOENT' ? `no such ${what} file` : `cannot read the ${what} file (${code ?? String(err)})`,
      {
        cause: err,
      },
    );
  }
}

/** Text checked against a schema; an empty document counts as `{}`. */
export function parseConfig<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  const parsed = schema.safeParse(parseConfigText(text, file) ?? {});
  if (!parsed.success) throw configErrorOf(file, parsed.error);
  return parsed.data;
}

/** A configuration file read and checked against a schema. */
export function loadConfig<S extends z.ZodType>(schema: S, file: string, what?: string): z.output<S> {
  return parseConfig(schema, readConfigText(file, what), file);
}
