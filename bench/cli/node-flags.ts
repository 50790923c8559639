/**
 * The values of one of node's own flags (a V8 flag such as --max-semi-space-size) as the process
 * was given them: from NODE_OPTIONS, then from the command line, which V8 reads after it, so the
 * last one is the one V8 keeps. `form` matches the flag in every spelling V8 takes (dashes or
 * underscores) with its value after `=` in group 1; a flag without `=` takes the next argument
 * (empty when there is none).
 */
export function nodeFlagValues(form: RegExp, execArgv: readonly string[], nodeOptions: string): string[] {
  const args = [...nodeOptions.split(/\s+/).filter(Boolean), ...execArgv];
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const match = form.exec(args[i]!);
    if (match) values.push(match[1] ?? args[i + 1] ?? '');
  }
  return values;
}
