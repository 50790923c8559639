import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { MEASUREMENTS, RUN_TAGS, type MeasurementName } from '../core/measurements';
import { INFLUX_DATASOURCE } from './datasource';
import { TEMPLATE_VARIABLES } from './variables';

/**
 * Raw InfluxQL for Grafana panels, which the foundation SDK has no builder for. Queries are
 * written against the schema in measurements.ts: a field or tag the measurement does not
 * declare is a type error, and every query gets the dashboard's template-variable filters for
 * the tags its measurement carries.
 */
type Schema = typeof MEASUREMENTS;
export type FieldOf<M extends MeasurementName> = keyof Schema[M]['fields'] & string;
export type TagOf<M extends MeasurementName> = Schema[M]['tags'][number] | (typeof RUN_TAGS)[number];

type Aggregate = 'mean' | 'median' | 'max' | 'min' | 'sum' | 'count' | 'last' | 'spread';

export type Selection<M extends MeasurementName> =
  | { readonly fn: Aggregate; readonly field: FieldOf<M>; readonly as?: string }
  | { readonly fn: 'percentile'; readonly field: FieldOf<M>; readonly p: number; readonly as?: string }
  | { readonly fn: 'raw'; readonly field: FieldOf<M>; readonly as?: string }
  /** A tag as a column of raw rows (an annotation's tags). */
  | { readonly fn: 'tag'; readonly tag: TagOf<M> }
  /** One aggregate over another, e.g. sum(accepted) / sum(addressed). */
  | {
      readonly fn: 'ratio';
      readonly of: { readonly fn: Aggregate; readonly field: FieldOf<M> };
      readonly per: { readonly fn: Aggregate; readonly field: FieldOf<M> };
      readonly as: string;
    };

export interface SelectSpec<M extends MeasurementName> {
  readonly select: readonly Selection<M>[];
  /** Literal tag filters, e.g. { kind: 'plc' }. */
  readonly where?: Partial<Record<TagOf<M>, string>>;
  readonly groupBy?: readonly TagOf<M>[];
  /** GROUP BY time($__interval); default true unless every selection is raw. */
  readonly byTime?: boolean;
  readonly fill?: 'none' | 'null' | 'previous' | '0';
  /** Template variables this query does not follow (its rows need not carry their tag). */
  readonly skipVariables?: readonly string[];
}

const ident = (name: string) => `"${name}"`;
const literal = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function selection<M extends MeasurementName>(s: Selection<M>): string {
  if (s.fn === 'tag') return ident(s.tag);
  if (s.fn === 'ratio') return `${s.of.fn}(${ident(s.of.field)}) / ${s.per.fn}(${ident(s.per.field)}) AS ${ident(s.as)}`;
  const expr =
    s.fn === 'raw' ? ident(s.field) : s.fn === 'percentile' ? `percentile(${ident(s.field)}, ${s.p})` : `${s.fn}(${ident(s.field)})`;
  return s.as ? `${expr} AS ${ident(s.as)}` : expr;
}

export function tagsOf(measurement: MeasurementName): readonly string[] {
  return [...RUN_TAGS, ...MEASUREMENTS[measurement].tags];
}

/** SELECT ... FROM measurement WHERE $timeFilter AND <variable filters> [GROUP BY ...]. */
export function selectFrom<M extends MeasurementName>(measurement: M, spec: SelectSpec<M>): string {
  const tags = tagsOf(measurement);
  const conditions = ['$timeFilter'];
  for (const variable of TEMPLATE_VARIABLES)
    if (tags.includes(variable.tag) && !spec.skipVariables?.includes(variable.name))
      conditions.push(`${ident(variable.tag)} =~ /^$${variable.name}$/`);
  for (const [tag, value] of Object.entries(spec.where ?? {}) as [string, string][]) conditions.push(`${ident(tag)} = ${literal(value)}`);
  const raw = spec.select.every((s) => s.fn === 'raw' || s.fn === 'tag');
  const byTime = spec.byTime ?? !raw;
  const groups = [...(byTime ? ['time($__interval)'] : []), ...(spec.groupBy ?? []).map(ident)];
  let query = `SELECT ${spec.select.map(selection).join(', ')} FROM ${ident(measurement)} WHERE ${conditions.join(' AND ')}`;
  if (groups.length > 0) query += ` GROUP BY ${groups.join(', ')}`;
  if (byTime) query += ` fill(${spec.fill ?? 'none'})`;
  return query;
}

/** The JSON of an InfluxDB (InfluxQL) target as Grafana stores it for a raw query. */
export interface InfluxQLTarget extends cog.Dataquery {
  refId: string;
  datasource: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
  hide?: boolean;
}

export class InfluxQLTargetBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: Omit<InfluxQLTarget, '_implementsDataqueryVariant'>;

  constructor(query: string) {
    this.internal = { refId: 'A', datasource: INFLUX_DATASOURCE, query, rawQuery: true, resultFormat: 'time_series' };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  /** Series name pattern: $tag_<tag>, $col, $m. */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  build(): cog.Dataquery {
    return { ...this.internal, _implementsDataqueryVariant() {} } as InfluxQLTarget;
  }
}

/** A raw InfluxQL target. */
export const influxql = (query: string): InfluxQLTargetBuilder => new InfluxQLTargetBuilder(query);

/** The target of an annotation query: a raw InfluxQL query and the columns Grafana reads an event from. */
export interface InfluxQLAnnotationTarget extends InfluxQLTarget {
  fromAnnotations: true;
  queryType: 'tags';
  textColumn: string;
  tagsColumn: string;
  titleColumn: string;
  timeEndColumn: string;
}

export class InfluxQLAnnotationTargetBuilder implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly query: string,
    private readonly columns: { readonly text: string; readonly tags: readonly string[] },
  ) {}

  build(): cog.Dataquery {
    const target: Omit<InfluxQLAnnotationTarget, '_implementsDataqueryVariant'> = {
      refId: 'Anno',
      datasource: INFLUX_DATASOURCE,
      query: this.query,
      rawQuery: true,
      resultFormat: 'table',
      fromAnnotations: true,
      queryType: 'tags',
      textColumn: this.columns.text,
      // Grafana splits this on commas and keeps each column's value as a tag
      tagsColumn: this.columns.tags.join(','),
      titleColumn: '',
      timeEndColumn: '',
    };
    return { ...target, _implementsDataqueryVariant() {} } as InfluxQLAnnotationTarget;
  }
}
