/**
 * The one order of what the partitions of a window produced, whatever thread each ran on: frames
 * by (arrival, source partition, sequence), oracle events by (time, partition, sequence), samples
 * by (time, partition, sequence). The sequence is the order within the partition's report, which
 * its own clock fixed; the sorts are stable, so equal keys keep it.
 */
import type { RemoteDelivery } from '../../../channel/emulated-network';
import type { Sample } from '../../../core/metrics';
import type { PartitionEvent, PartitionReport } from './messages';

/** Reports in partition order, from every worker's answer. */
export function byPartition(reports: readonly PartitionReport[]): PartitionReport[] {
  return [...reports].sort((a, b) => a.partition - b.partition);
}

/** Every frame shipped in the window, grouped by receiving partition, each group in (at, source, sequence) order. */
export function deliveriesByPartition(
  reports: readonly PartitionReport[],
  partitionOf: (node: string) => number,
  partitions: number,
): RemoteDelivery[][] {
  const all = byPartition(reports).flatMap((r) => r.shipped.map((d) => ({ d, from: r.partition })));
  // stable: equal arrival times keep the source partition's order, then its shipping order
  all.sort((x, y) => x.d.at - y.d.at || x.from - y.from);
  const grouped: RemoteDelivery[][] = Array.from({ length: partitions }, () => []);
  for (const { d } of all) grouped[partitionOf(d.to)]!.push(d);
  return grouped;
}

export function mergedEvents(reports: readonly PartitionReport[]): PartitionEvent[] {
  return byPartition(reports)
    .flatMap((r) => r.events)
    .sort((a, b) => a.at - b.at);
}

export function mergedSamples(reports: readonly PartitionReport[]): Sample[] {
  return byPartition(reports)
    .flatMap((r) => r.samples)
    .sort((a, b) => a.time - b.time);
}
