#!/usr/bin/env -S npx tsx --max-semi-space-size=128
/**
 * gridbench CLI entry. Each subcommand is one module in ./commands/ named after it, exporting
 * `command: Command`; adding a command means adding a file, nothing else.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './command';
import { applyHeapGrowth } from './heap-growth';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<Command> {
  const mod = (await import(join(commandsDir, `${name}.ts`))) as { command: Command };
  return mod.command;
}

async function usage(): Promise<string> {
  const lines = ['usage: gridbench <command> [options]', '', 'commands:'];
  for (const name of commandNames()) lines.push(`  ${name.padEnd(10)} ${(await load(name)).summary}`);
  lines.push('', 'gridbench <command> --help shows the options of one command.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  // before any command builds its state: every heap V8 sizes from here on grows by this much
  applyHeapGrowth();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await usage());
    return name ? 0 : 1;
  }
  if (!commandNames().includes(name)) {
    console.error(`gridbench: unknown command "${name}"\n\n${await usage()}`);
    return 1;
  }
  return (await load(name)).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`gridbench: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
