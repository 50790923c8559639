import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUX_DATASOURCE } from './datasource';

/**
 * The dashboard's template variables. Each one filters one tag; a panel's query filters on the
 * variables whose tag its measurement carries (see selectFrom). The run is one run at a time
 * (the newest by default when run ids sort by time); mode and segment default to all.
 */
export interface TemplateVariable {
  readonly name: string;
  readonly tag: string;
  readonly label: string;
  readonly multi: boolean;
  readonly description: string;
}

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  { name: 'run', tag: 'run', label: 'Run', multi: false, description: 'Bench run id (newest first)' },
  { name: 'mode', tag: 'mode', label: 'Mode', multi: true, description: 'Security architecture: lean or smgw-tls' },
  { name: 'segment', tag: 'segment', label: 'PLC segment', multi: true, description: 'PLC segment (one per DC)' },
];

/** SHOW TAG VALUES for a variable, limited to the selected run for everything but the run itself. */
export function variableQuery(variable: TemplateVariable): string {
  const key = `SHOW TAG VALUES WITH KEY = "${variable.tag}"`;
  return variable.name === 'run' ? key : `${key} WHERE "run" =~ /^$run$/`;
}

export function variableBuilders(): QueryVariableBuilder[] {
  return TEMPLATE_VARIABLES.map((v) => {
    const builder = new QueryVariableBuilder(v.name)
      .label(v.label)
      .description(v.description)
      .datasource(INFLUX_DATASOURCE)
      .query(variableQuery(v))
      .definition(variableQuery(v))
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(v.name === 'run' ? VariableSort.AlphabeticalDesc : VariableSort.AlphabeticalAsc);
    // A custom all value keeps the regex short however many values there are.
    if (v.multi) builder.multi(true).includeAll(true).allValue('.*').current({ text: 'All', value: '$__all' });
    return builder;
  });
}
