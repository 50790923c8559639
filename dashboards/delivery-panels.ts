import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import { INFLUX_DATASOURCE } from './datasource';
import { influxql, selectFrom } from './influxql';
import { series } from './series';

/**
 * Automation delivery beside latency: the fraction of addressed TNs that accepted each command
 * (the runner's `automation_delivery` samples), and what each command cost on its segment.
 */
export function deliveryPanels(): cog.Builder<Panel>[] {
  return [
    new stat.PanelBuilder()
      .title('Automation delivery ratio by mode')
      .description(
        'TNs that accepted a command against TNs it was addressed to, over the range, with the bytes each command put on its segment (every repeat and TLS record counted). A lean broadcast has no link-layer retry: without repeats (lean: { automation: { repeats } }), a TN misses what its segment loses.',
      )
      .datasource(INFLUX_DATASOURCE)
      .height(6)
      .span(12)
      .unit('percentunit')
      .decimals(2)
      .colorMode(common.BigValueColorMode.None)
      .graphMode(common.BigValueGraphMode.None)
      .textMode(common.BigValueTextMode.ValueAndName)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .withTarget(
        influxql(
          selectFrom('automation_delivery', {
            select: [{ fn: 'ratio', of: { fn: 'sum', field: 'accepted' }, per: { fn: 'sum', field: 'addressed' }, as: 'delivered' }],
            groupBy: ['mode'],
            byTime: false,
          }),
        ).alias('$tag_mode'),
      ),
    series(
      'Delivery and bytes per command',
      "Each command: the fraction of its segment's TNs that accepted it (left), and the bytes it put on the segment (right, dashed).",
      'percentunit',
    )
      .showPoints(common.VisibilityMode.Always)
      .withTarget(
        influxql(selectFrom('automation_delivery', { select: [{ fn: 'min', field: 'ratio', as: 'delivered' }], groupBy: ['mode'] }))
          .alias('$tag_mode delivered')
          .refId('A'),
      )
      .withTarget(
        influxql(selectFrom('automation_delivery', { select: [{ fn: 'max', field: 'bytes', as: 'bytes' }], groupBy: ['mode'] }))
          .alias('$tag_mode bytes')
          .refId('B'),
      )
      .overrideByQuery('B', [
        { id: 'unit', value: 'decbytes' },
        { id: 'custom.axisPlacement', value: 'right' },
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      ]),
  ];
}
