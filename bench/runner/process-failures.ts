import type { Topology } from '../../core/topology';
import type { ProcessOutcome } from './summary';

/**
 * What makes a --processes run fail whatever its thresholds say (summary.failures, exit code 1):
 * the channel broker or the HES host ended before the run did, or every TN host did. A run
 * without its wire, its head end or any TN measured nothing worth a verdict. `name` gives a
 * process's name as the run shows it (`lean/hes` with several modes).
 */
export function processFailures(
  mode: string,
  processes: readonly ProcessOutcome[],
  topology: Topology,
  name: (selection: string) => string,
): string[] {
  const outcome = (selection: string) => processes.find((p) => p.name === name(selection))?.outcome ?? 'never started';
  const failures: string[] = [];
  const broker = outcome('channel');
  if (broker !== 'ok') failures.push(`${mode}: the channel broker ${broker} during the run`);
  const hes = outcome(topology.hes);
  if (hes !== 'ok') failures.push(`${mode}: the HES host ${hes} during the run`);
  const tnHosts = topology.dcs.map((d) => `tns:${d.id}`).filter((s) => topology.tnsOf(s.slice(4)).length > 0);
  if (tnHosts.length > 0 && tnHosts.every((s) => outcome(s) !== 'ok'))
    failures.push(`${mode}: every TN host was lost (${tnHosts.map((s) => `${name(s)} ${outcome(s)}`).join(', ')})`);
  return failures;
}
