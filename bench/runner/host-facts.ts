/**
 * A distributed run's facts from its hosts' reports: the commands each host issued, summed, and
 * the bootstraps merged (enrolments summed, the slowest one's duration, a host that never reported
 * its bootstrap named as failed). --processes merges its node processes' (processes.ts), a
 * partitioned run its partitions' (partitioned/coordinator.ts).
 */
import type { BootstrapReport } from '../../nodes/mode';
import type { WorkloadFacts } from './workload';

export interface HostReport {
  readonly name: string;
  readonly bootstrap?: BootstrapReport | undefined;
  readonly facts?: WorkloadFacts | undefined;
}

export function mergeHostFacts(hosts: readonly HostReport[]): { facts: WorkloadFacts; bootstrap: BootstrapReport } {
  const facts = hosts.reduce(
    (sum, h) => ({
      commands: sum.commands + (h.facts?.commands ?? 0),
      addressed: sum.addressed + (h.facts?.addressed ?? 0),
      commandBytes: [...sum.commandBytes, ...(h.facts?.commandBytes ?? [])],
      firmwareRollouts: sum.firmwareRollouts + (h.facts?.firmwareRollouts ?? 0),
    }),
    { commands: 0, addressed: 0, commandBytes: [] as number[], firmwareRollouts: 0 },
  );
  const reports = hosts.flatMap((h) => (h.bootstrap ? [h.bootstrap] : []));
  const dcsEnrolled = reports.filter((r) => r.dcsEnrolled !== undefined);
  const bootstrap: BootstrapReport = {
    enrolled: reports.reduce((n, r) => n + r.enrolled, 0),
    ...(dcsEnrolled.length ? { dcsEnrolled: dcsEnrolled.reduce((n, r) => n + r.dcsEnrolled!, 0) } : {}),
    failed: [...reports.flatMap((r) => r.failed), ...hosts.filter((h) => !h.bootstrap).map((h) => h.name)],
    durationMs: reports.reduce((m, r) => Math.max(m, r.durationMs), 0),
  };
  return { facts, bootstrap };
}
