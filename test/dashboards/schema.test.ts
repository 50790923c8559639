import { describe, expect, it } from 'vitest';
import { renderAll } from '../../dashboards/generate';
import { annotationTargets, panelTargets, variableDefinitions } from '../../dashboards/query-check';
import { schemaViolations } from '../../dashboards/schema-check';

const dashboard = JSON.parse(renderAll()['json/gridbench.json']!);

describe('dashboard queries use only what measurements.ts declares', () => {
  it.each(panelTargets(dashboard).map((t) => [`${t.panel} (${t.refId})`, t.query]))('%s', (_name, query) => {
    expect(schemaViolations(query)).toEqual([]);
  });

  it.each(annotationTargets(dashboard).map((t) => [t.panel, t.query]))('%s', (_name, query) => {
    expect(schemaViolations(query)).toEqual([]);
  });

  it.each(variableDefinitions(dashboard).map((v) => [v.name, v.query]))('variable $%s', (_name, query) => {
    expect(schemaViolations(query)).toEqual([]);
  });

  it('catches an undeclared measurement, field or tag, quoted or not', () => {
    expect(schemaViolations('SELECT mean("latency_ms") FROM "automation_latencies" WHERE $timeFilter')).toEqual([
      'measurement "automation_latencies" is not declared in measurements.ts',
    ]);
    expect(schemaViolations('SELECT mean(latency) FROM "automation_latency" WHERE $timeFilter GROUP BY "dc"')).toEqual([
      '"latency" is not a tag or field of measurement "automation_latency" in measurements.ts',
    ]);
    expect(
      schemaViolations(
        `SELECT max("value") AS "whatever" FROM "handshakes_in_progress" WHERE "tn" = 'tn1.001' AND "run" =~ /^$run$/ GROUP BY "reason"`,
      ),
    ).toEqual([
      '"tn" is not a tag or field of measurement "handshakes_in_progress" in measurements.ts',
      '"reason" is not a tag or field of measurement "handshakes_in_progress" in measurements.ts',
    ]);
    expect(schemaViolations('SHOW TAG VALUES WITH KEY = "segmnt"')).toEqual([
      '"segmnt" is not a tag or field of any measurement in measurements.ts',
    ]);
  });
});
