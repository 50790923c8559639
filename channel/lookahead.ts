import { linkName, type LinkId, type Topology } from '../core/topology';
import type { LinkProfile } from './profile';

/**
 * The lookahead of a partitioned run (issue 13): the least time a frame takes from leaving one
 * partition to arriving in another. The partitions are a star (the HES alone, and groups of DCs
 * each with its TNs), so only WAN frames cross, and a WAN frame arrives at the earliest
 * latencyMs after the event that sent it: airtime and jitter are never negative (loss.ts
 * drawJitter: U(0, ms), |N(0, ms)|, Exp(mean ms)). It is the minimum over the WAN links of
 * latencyMs; Infinity with no DC.
 *
 * `profileOf` is each link's resolved profile (a scenario's: profile.ts resolveProfile of its
 * spec). Profiles that change during a run (a campaign's setProfile) are not covered: a run that
 * changes them cannot be partitioned on this figure. Throws, naming the link, for a WAN link that
 * gives no lookahead (latency 0) or whose one medium both partitions would share (half duplex).
 */
export function lookaheadMs(topology: Topology, profileOf: (link: LinkId) => LinkProfile): number {
  let least = Infinity;
  for (const dc of topology.dcs) {
    const link: LinkId = { kind: 'wan', dc: dc.id };
    const profile = profileOf(link);
    if (!(profile.latencyMs > 0))
      throw new Error(
        `lookahead: WAN link ${linkName(link)} has latencyMs ${profile.latencyMs}: frames between partitions need a latency above 0 to run them in parallel`,
      );
    if (profile.duplex !== 'full')
      throw new Error(
        `lookahead: WAN link ${linkName(link)} is half duplex: both directions share one medium, which cannot be split between the HES's partition and the DC's`,
      );
    least = Math.min(least, profile.latencyMs);
  }
  return least;
}
