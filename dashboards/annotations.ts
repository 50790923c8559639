import { AnnotationQueryBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUX_DATASOURCE } from './datasource';
import { InfluxQLAnnotationTargetBuilder, selectFrom } from './influxql';

/**
 * The dashboard's annotations: what a person wants to see on the time axis of every panel, one
 * query per kind of the `event` measurement (core/measurements.ts), each in its own colour and
 * switchable on its own.
 */
export interface EventAnnotation {
  readonly kind: 'campaign-step' | 'power-restored' | 'storm' | 'board-reset';
  readonly name: string;
  readonly color: string;
}

export const EVENT_ANNOTATIONS: readonly EventAnnotation[] = [
  { kind: 'campaign-step', name: 'Campaign steps', color: 'purple' },
  { kind: 'power-restored', name: 'Power restorations', color: 'orange' },
  { kind: 'storm', name: 'Renegotiation storms', color: 'red' },
  { kind: 'board-reset', name: 'Board resets', color: 'yellow' },
];

/** The query of one kind: the event's sentence as text, its kind and mode as tags. */
export function annotationQuery(kind: EventAnnotation['kind']): string {
  return selectFrom('event', {
    select: [
      { fn: 'raw', field: 'text' },
      { fn: 'tag', tag: 'kind' },
      { fn: 'tag', tag: 'mode' },
    ],
    where: { kind },
    // a campaign step belongs to no segment: it shows whichever segments are picked
    ...(kind === 'campaign-step' ? { skipVariables: ['segment'] } : {}),
  });
}

export function annotationBuilders(): AnnotationQueryBuilder[] {
  return EVENT_ANNOTATIONS.map((a) =>
    new AnnotationQueryBuilder()
      .name(a.name)
      .datasource(INFLUX_DATASOURCE)
      .enable(true)
      .iconColor(a.color)
      .target(new InfluxQLAnnotationTargetBuilder(annotationQuery(a.kind), { text: 'text', tags: ['kind', 'mode'] })),
  );
}
