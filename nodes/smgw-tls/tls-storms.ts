/**
 * Many channels of one segment handshaking together (a power restoration, a synchronized renewal)
 * and the one measurement of an abbreviated handshake: what smgw-tls pays for a session per TN.
 */
import type { NodeId } from '../../core/transport';
import type { StormReport } from '../mode';
import type { HandshakeRecord } from './handshake-tracker';
import type { TlsHes } from './hes-node';
import type { TlsFleet } from './tls-fleet';
import type { TlsTn } from './tn-node';

/** Every TN of the segment that this process runs does `act` at once; resolves with the storm it makes. */
export function stormOf(fleet: TlsFleet, dc: NodeId, act: (tn: TlsTn) => void): Promise<StormReport | undefined> {
  const tracker = fleet.tracker(dc);
  const segment = fleet.localTnsOf(dc);
  // no TN of the segment here: nothing happens in this process, and no storm is seen
  if (segment.length === 0) return Promise.resolve(undefined);
  const storm = tracker.nextEpisode();
  for (const tn of segment) act(tn);
  return storm;
}

/** Renegotiates one channel offering its session ticket: an abbreviated handshake, measured once. */
export async function measureResumedHandshake(fleet: TlsFleet, hes: TlsHes, id: NodeId): Promise<HandshakeRecord | undefined> {
  const tn = fleet.tn(id);
  const tracker = fleet.tracker(fleet.dcOf(id));
  hes.allowResumption(id, true);
  tn.keepSessions(true);
  try {
    // A full handshake on the ticket-issuing context first, then one that offers its ticket.
    let episode = tracker.nextEpisode();
    tn.renegotiate('reconnect');
    await episode;
    const before = fleet.handshakes.length;
    episode = tracker.nextEpisode();
    tn.renegotiate('reconnect', true);
    await episode;
    return fleet.handshakes.slice(before).find((r) => r.tn === id && r.ok);
  } finally {
    hes.allowResumption(id, false);
    tn.keepSessions(false);
  }
}
