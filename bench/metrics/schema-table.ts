/**
 * The README's metrics schema section, generated from core/measurements.ts:
 *
 *   npx tsx bench/metrics/schema-table.ts     # rewrites the section between the markers in README.md
 *
 * A test fails when README.md and the schema disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEASUREMENTS, RUN_TAGS, type MeasurementSpec } from '../../core/measurements';

export const SCHEMA_START = '<!-- metrics-schema:start -->';
export const SCHEMA_END = '<!-- metrics-schema:end -->';
export const README_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (names: readonly string[]) => (names.length ? names.map((n) => `\`${n}\``).join(', ') : '(run tags only)');

/** The markdown between the markers (markers excluded). */
export function renderSchemaSection(): string {
  const lines = [
    '',
    '## Metrics schema',
    '',
    `Generated from \`core/measurements.ts\` by \`npx tsx bench/metrics/schema-table.ts\`. Every sample also`,
    `carries the run tags ${code(RUN_TAGS)}. Tags are low-cardinality labels to group by; values, counters and ids`,
    'that change per frame are fields. Outputs write epoch timestamps at microsecond precision; a real-clock run',
    "is placed where it happened, a virtual-clock run so that its timeline ends when the run ended (metrics.lp's",
    "header and summary.json's `placement` say which).",
    '',
    '| measurement | what one point is | tags | fields |',
    '|---|---|---|---|',
  ];
  for (const [name, spec] of Object.entries(MEASUREMENTS) as [string, MeasurementSpec][]) {
    const fields = Object.entries(spec.fields)
      .map(([field, doc]) => `\`${field}\`: ${cell(doc)}`)
      .join('<br>');
    lines.push(`| \`${name}\` | ${cell(spec.description)} | ${code(spec.tags)} | ${fields} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** README text with the section replaced (or appended with its markers when missing). */
export function withSchemaSection(readme: string): string {
  const start = readme.indexOf(SCHEMA_START);
  const end = readme.indexOf(SCHEMA_END);
  const section = `${SCHEMA_START}${renderSchemaSection()}${SCHEMA_END}`;
  if (start < 0 || end < start) return `${readme.trimEnd()}\n\n${section}\n`;
  return readme.slice(0, start) + section + readme.slice(end + SCHEMA_END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(README_PATH, withSchemaSection(readFileSync(README_PATH, 'utf8')));
  console.log(`updated the metrics schema section of ${README_PATH}`);
}
