/**
 * smgw-tls availability (issue 11 item 4): the attacker forges 30-byte frames that open new
 * connections for a TN, once a minute, on dc1's WAN link. The HES keeps the TN's established
 * channel until a new connection authenticates, so the TN's meter rounds and messages go on; the
 * forged opens are refused and counted against the attack. Lean has no connections to open.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { encodeTlsFrame } from '../../nodes/smgw-tls/tls-frame';

export const name = 'forged-open';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:secure_HES_TN,mode:smgw-tls}': ['count>0'],
};

export default async function campaign(api: CampaignApi): Promise<void> {
  if (api.modeName !== 'smgw-tls') return api.log(`opens smgw-tls connections, which ${api.modeName} mode does not have; skipped`);
  const attacker = api.attacker('secure_HES_TN');
  const [victim] = api.topology.tnsOf('dc1');
  if (!victim) return api.log('needs a TN on dc1; skipped');
  for (let minute = 1; minute <= 8; minute++) {
    await api.at(minute * 60_000);
    const payload = new Uint8Array(8).fill(0x16);
    attacker.inject('dc1', api.topology.hes, encodeTlsFrame({ tn: victim, conn: 0x7000_0000 + minute, flags: 0, seq: 0, ack: 0, payload }));
  }
}
