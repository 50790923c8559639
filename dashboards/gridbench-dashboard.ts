import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Dashboard,
  type DynamicConfigValue,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { annotationBuilders } from './annotations';
import { deliveryPanels } from './delivery-panels';
import { INFLUX_DATASOURCE } from './datasource';
import { influxql, selectFrom } from './influxql';
import { DASHBOARD_UID } from './run-link';
import { series } from './series';
import { variableBuilders } from './variables';

/**
 * The bench's live dashboard: one row per question a lab engineer asks while a run goes on.
 * Every query is raw InfluxQL built from the schema in core/measurements.ts.
 */

const RED = 'red';
const GREEN = 'green';

const redWhenNonZero = () =>
  new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: GREEN },
    // Attack outcomes are counts, so "not zero" is "at least one".
    { value: 1, color: RED },
  ]);

const dashed = (color: string): DynamicConfigValue[] => [
  { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
  { id: 'color', value: { mode: 'fixed', fixedColor: color } },
];

function automationRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Automation commands (DC broadcast to TN)'));
  d.withPanel(
    series(
      'Automation latency p50 / p99 by mode',
      'DC hands the command to the wire until the TN accepts it (signature and counter checked). Lean: one signed broadcast per segment; smgw-tls: one TLS record per TN.',
      'ms',
    ).withTarget(
      influxql(
        selectFrom('automation_latency', {
          select: [
            { fn: 'percentile', field: 'latency_ms', p: 50, as: 'p50' },
            { fn: 'percentile', field: 'latency_ms', p: 99, as: 'p99' },
          ],
          groupBy: ['mode'],
        }),
      ).alias('$tag_mode $col'),
    ),
  );
  for (const panel of deliveryPanels()) d.withPanel(panel);
  d.withPanel(
    new heatmap.PanelBuilder()
      .title('Automation latency distribution')
      .description('Every accepted command, bucketed by latency (log scale): a second cluster is a segment queueing behind others.')
      .datasource(INFLUX_DATASOURCE)
      .height(8)
      .span(12)
      .calculate(true)
      .calculation(
        new common.HeatmapCalculationOptionsBuilder().yBuckets(
          new common.HeatmapCalculationBucketConfigBuilder().scale(
            new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(2),
          ),
        ),
      )
      .color(
        new heatmap.HeatmapColorOptionsBuilder()
          .mode(heatmap.HeatmapColorMode.Scheme)
          .scheme('Oranges')
          .scale(heatmap.HeatmapColorScale.Exponential)
          .exponent(0.5),
      )
      .yAxis(new heatmap.YAxisConfigBuilder().unit('ms'))
      .withTarget(
        influxql(selectFrom('automation_latency', { select: [{ fn: 'raw', field: 'latency_ms', as: 'latency' }] })).alias('latency'),
      ),
  );
  d.withPanel(
    series(
      'Relay switched: command to board pin',
      "On TNs with a board: DC send until the relay feedback pin changed (includes the TN's processing and the Firmata round trip).",
      'ms',
    )
      .span(24)
      .withTarget(
        influxql(
          selectFrom('relay_switch', {
            select: [
              { fn: 'percentile', field: 'latency_ms', p: 50, as: 'p50' },
              { fn: 'max', field: 'latency_ms', as: 'max' },
              { fn: 'mean', field: 'processing_ms', as: 'TN processing' },
            ],
            groupBy: ['mode', 'board'],
          }),
        ).alias('$tag_mode $tag_board $col'),
      ),
  );
}

function stormRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Renegotiation storm (smgw-tls)'));
  d.withPanel(
    series(
      'Handshakes in progress and segment utilization',
      'TLS handshakes started and not finished per segment (left), and the fraction of time the PLC medium was busy (right). A storm is many handshakes at once with utilization pinned near 100 %.',
      'short',
    )
      .withTarget(
        influxql(selectFrom('handshakes_in_progress', { select: [{ fn: 'max', field: 'value', as: 'handshakes' }], groupBy: ['segment'] }))
          .alias('$tag_segment handshakes')
          .refId('A'),
      )
      .withTarget(
        influxql(
          selectFrom('channel', {
            select: [{ fn: 'max', field: 'utilization', as: 'utilization' }],
            where: { kind: 'plc' },
            groupBy: ['segment'],
          }),
        )
          .alias('$tag_segment utilization')
          .refId('B'),
      )
      .overrideByQuery('B', [
        { id: 'unit', value: 'percentunit' },
        { id: 'min', value: 0 },
        { id: 'max', value: 1 },
        { id: 'custom.axisPlacement', value: 'right' },
      ]),
  );
  d.withPanel(
    series(
      'Storm duration against its physical bound',
      'Each storm: first handshake start to last finish, beside the lower bound N x S x 8 / R the segment bit rate allows (dashed).',
      's',
    )
      .showPoints(common.VisibilityMode.Always)
      .pointSize(8)
      .withTarget(
        influxql(
          selectFrom('storm', {
            select: [
              { fn: 'max', field: 'duration_s', as: 'duration' },
              { fn: 'max', field: 'bound_s', as: 'bound' },
            ],
            groupBy: ['segment'],
          }),
        ).alias('$tag_segment $col'),
      )
      .overrideByRegexp('/bound/', dashed(RED)),
  );
  d.withPanel(
    series('TLS handshakes by reason', 'Handshakes finished per interval, by why the channel was (re)established.', 'short')
      .span(24)
      .drawStyle(common.GraphDrawStyle.Bars)
      .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
      .withTarget(
        influxql(selectFrom('handshake', { select: [{ fn: 'count', field: 'duration_ms', as: 'handshakes' }], groupBy: ['reason'] })).alias(
          '$tag_reason',
        ),
      ),
  );
}

function meterRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Meter reading rounds'));
  d.withPanel(
    series('Meter round duration', 'HES request sent until the last response (or the round timeout).', 'ms')
      .showPoints(common.VisibilityMode.Always)
      .withTarget(
        influxql(selectFrom('meter_round', { select: [{ fn: 'max', field: 'duration_ms', as: 'duration' }], groupBy: ['mode'] })).alias(
          '$tag_mode',
        ),
      ),
  );
  d.withPanel(
    series('Meter responses and missing TNs', 'Responses the HES accepted per round, and TNs that did not answer in time (red).', 'short')
      .drawStyle(common.GraphDrawStyle.Bars)
      .withTarget(
        influxql(
          selectFrom('meter_round', {
            select: [
              { fn: 'sum', field: 'responses', as: 'responses' },
              { fn: 'sum', field: 'missing', as: 'missing' },
            ],
            groupBy: ['mode'],
          }),
        ).alias('$tag_mode $col'),
      )
      .overrideByRegexp('/missing/', [{ id: 'color', value: { mode: 'fixed', fixedColor: RED } }]),
  );
}

function attackRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Attacks per security goal'));
  d.withPanel(
    new stat.PanelBuilder()
      .title('Attacker frames accepted (violations) per goal')
      .description(
        'Frames or effects of the attacker a node accepted, per security goal of the model. Anything but 0 is a broken goal and shows red.',
      )
      .datasource(INFLUX_DATASOURCE)
      .height(6)
      .span(24)
      .unit('short')
      .decimals(0)
      .thresholds(redWhenNonZero())
      .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .textMode(common.BigValueTextMode.ValueAndName)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['sum']).values(false))
      .withTarget(
        influxql(
          selectFrom('attack', { select: [{ fn: 'sum', field: 'accepted', as: 'accepted' }], groupBy: ['goal'], byTime: false }),
        ).alias('$tag_goal'),
      ),
  );
  d.withPanel(
    new table.PanelBuilder()
      .title('Attack outcomes per goal and attack')
      .description('Frames the attacker put on the wire, refused by the victims, and accepted (red when not 0).')
      .datasource(INFLUX_DATASOURCE)
      .height(8)
      .span(12)
      .withTarget(
        influxql(
          selectFrom('attack', {
            select: [
              { fn: 'sum', field: 'injected', as: 'injected' },
              { fn: 'sum', field: 'rejected', as: 'rejected' },
              { fn: 'sum', field: 'accepted', as: 'accepted' },
            ],
            groupBy: ['goal', 'attack'],
            byTime: false,
          }),
        ).table(),
      )
      .overrideByName('Time', [{ id: 'custom.hidden', value: true }])
      .overrideByName('accepted', [
        { id: 'thresholds', value: redWhenNonZero().build() },
        { id: 'custom.cellOptions', value: { type: 'color-background' } },
        { id: 'color', value: { mode: 'thresholds' } },
      ]),
  );
  d.withPanel(
    series('Frames rejected by reason', 'Frames nodes refused, by reason (bad signature, stale counter, wrong recipient...).', 'short')
      .drawStyle(common.GraphDrawStyle.Bars)
      .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
      .withTarget(
        influxql(selectFrom('frame_rejected', { select: [{ fn: 'sum', field: 'count', as: 'rejected' }], groupBy: ['reason'] })).alias(
          '$tag_reason',
        ),
      ),
  );
}

function channelRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Channel (per link direction)'));
  d.withPanel(
    series(
      'Channel drops by reason',
      'Frames lost on the medium, dropped at a full queue, dropped by an interceptor; and frames the broker refused.',
      'short',
    )
      .drawStyle(common.GraphDrawStyle.Bars)
      .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
      .withTarget(
        influxql(
          selectFrom('channel', {
            select: [
              { fn: 'sum', field: 'drops_loss', as: 'loss' },
              { fn: 'sum', field: 'drops_queue', as: 'queue full' },
              { fn: 'sum', field: 'drops_attack', as: 'attack' },
            ],
            groupBy: ['link', 'direction'],
          }),
        )
          .alias('$tag_link $tag_direction $col')
          .refId('A'),
      )
      .withTarget(
        influxql(selectFrom('channel_rejected', { select: [{ fn: 'sum', field: 'count', as: 'refused' }], groupBy: ['reason'] }))
          .alias('broker refused: $tag_reason')
          .refId('B'),
      ),
  );
  d.withPanel(
    series(
      'Queue delay per link direction',
      'Mean time from enqueue to start of transmission: how long frames wait for the shared medium.',
      'ms',
    ).withTarget(
      influxql(
        selectFrom('channel', { select: [{ fn: 'mean', field: 'queue_delay_ms', as: 'queue delay' }], groupBy: ['link', 'direction'] }),
      ).alias('$tag_link $tag_direction'),
    ),
  );
}

function cryptoRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Crypto work'));
  d.withPanel(
    series(
      'Crypto operations by role and operation',
      "Signatures, verifications and hybrid encryptions the lean protocol's nodes perform (smgw-tls does its crypto inside TLS handshakes: see the storm row).",
      'short',
    )
      .span(24)
      .withTarget(
        influxql(
          selectFrom('crypto_ops', { select: [{ fn: 'sum', field: 'count', as: 'ops' }], groupBy: ['role', 'op'], fill: '0' }),
        ).alias('$tag_role $tag_op'),
      ),
  );
}

function boardRow(d: DashboardBuilder): void {
  d.withRow(new RowBuilder('Boards'));
  d.withPanel(
    new statetimeline.PanelBuilder()
      .title('Board status')
      .description('Each TN with a board (real through johnny-five, or virtual): attached or failed.')
      .datasource(INFLUX_DATASOURCE)
      .height(8)
      .span(24)
      .mergeValues(true)
      .showValue(common.VisibilityMode.Auto)
      .mappings([
        {
          type: MappingType.ValueToText,
          options: { '1': { text: 'attached', color: GREEN, index: 0 }, '0': { text: 'failed', color: RED, index: 1 } },
        },
      ])
      .withTarget(
        influxql(
          selectFrom('board', { select: [{ fn: 'last', field: 'up', as: 'up' }], groupBy: ['tn', 'board'], fill: 'previous' }),
        ).alias('$tag_tn ($tag_board)'),
      ),
  );
}

export function gridbenchDashboard(): Dashboard {
  const d = new DashboardBuilder('gridbench')
    .uid(DASHBOARD_UID)
    .description(
      'A bench run: automation latency and delivery, renegotiation storms, meter rounds, attacks, channel and boards; campaign steps, power restorations, storms and board resets as annotations. `gridbench run` prints the link that opens one run over its whole span.',
    )
    .tags(['gridbench'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('5s')
    .time({ from: 'now-15m', to: 'now' })
    .timezone('browser');
  for (const variable of variableBuilders()) d.withVariable(variable);
  for (const annotation of annotationBuilders()) d.annotation(annotation);
  automationRow(d);
  stormRow(d);
  meterRow(d);
  attackRow(d);
  channelRow(d);
  cryptoRow(d);
  boardRow(d);
  const dashboard = d.build();
  // Stable ids, so links to a panel (?viewPanel=N) survive regenerating the JSON.
  dashboard.panels?.forEach((panel, i) => (panel.id = i + 1));
  return dashboard;
}
