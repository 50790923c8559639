import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INFLUXDB_SETTINGS } from '../../bench/metrics/influxdb-config';
import { README_PATH, renderSchemaSection, SCHEMA_END, SCHEMA_START, withSchemaSection } from '../../bench/metrics/schema-table';
import { MEASUREMENTS } from '../../core/measurements';

const readme = readFileSync(README_PATH, 'utf8');

describe('README', () => {
  it('has the metrics schema exactly as generated from measurements.ts (npx tsx bench/metrics/schema-table.ts)', () => {
    const start = readme.indexOf(SCHEMA_START);
    const end = readme.indexOf(SCHEMA_END);
    expect(start, 'README.md has no metrics-schema markers').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start + SCHEMA_START.length, end)).toBe(renderSchemaSection());
    expect(withSchemaSection(readme)).toBe(readme);
  });

  it('lists every measurement with each of its tags and fields', () => {
    const section = renderSchemaSection();
    for (const [name, spec] of Object.entries(MEASUREMENTS)) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      for (const tag of spec.tags) expect(row).toContain(`\`${tag}\``);
      for (const field of Object.keys(spec.fields)) expect(row).toContain(`\`${field}\`:`);
    }
  });

  it('documents every GRIDBENCH_INFLUXDB_* variable and the --out form in the lab section', () => {
    const lab = readme.slice(readme.indexOf('<!-- lab:start -->'), readme.indexOf('<!-- lab:end -->'));
    expect(lab.length).toBeGreaterThan(100);
    for (const setting of INFLUXDB_SETTINGS) expect(lab).toContain(setting.env);
    expect(lab).toContain('--out influxdb=http://');
  });
});
