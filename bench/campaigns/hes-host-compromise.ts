/**
 * Key custody (issue 11 item 3): the attacker holds everything a compromised HES host holds, the
 * HES's own keys (the manufacturer's root never reaches a host: `gridbench provision --host`).
 * With them it tries what only the root may do: it certifies a HES key of its own and offers that
 * chain to a replacement TN whose genuine enrolment it holds back, and it signs firmware as a
 * root of its own. Lean mode only (smgw-tls's root also stays with provisioning, and its TNs take
 * X.509 credentials).
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { CertRole, issueCertificate } from '../../nodes/protocol/certificate';
import { encodeTnEnrolment, type TnEnrolment } from '../../nodes/protocol/enrolment-frames';
import { decodeAs } from '../../nodes/protocol/frame';
import { MessageClass } from '../../nodes/protocol/message-class';
import { SEGMENT_BROADCAST } from '../../core/transport';

export const name = 'hes-host-compromise';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:authentic_certs_TN,mode:lean}': ['count>0'],
};

export default async function campaign(api: CampaignApi): Promise<void> {
  if (!api.mode.keysOf) return api.log(`needs the lean protocol's keys, which ${api.modeName} mode does not have; skipped`);
  const attacker = api.attacker('authentic_certs_TN');
  const [victim] = api.topology.tnsOf('dc1');
  if (!victim) return api.log('needs a TN on dc1; skipped');
  const hes = attacker.compromise(api.topology.hes);
  const { crypto, keys } = attacker;

  await api.at(5_000);
  const held = attacker.record({ link: 'plc:dc1', class: 'tn-enrolment', to: victim });
  const release = attacker.block({ link: 'plc:dc1', class: 'tn-enrolment', to: victim });
  const installed = api.mode.replace(victim);
  if (!(await api.until(() => held.frames.length > 0, { within: 600_000, what: `${victim}'s new unit's enrolment` }))) {
    release();
    await installed;
    // a failed step, not a quiet pass: the verdict must not count an attack that never ran
    throw new Error(`${victim}'s new unit's enrolment was not seen: the attack did not run`);
  }
  const genuine: TnEnrolment = decodeAs(held.frames[0]!.bytes, MessageClass.TnEnrolment);
  // a HES certificate for the attacker's key, issued with the HES's own key (it may not issue one)
  const minted = issueCertificate(
    { role: CertRole.Hes, issuer: 'mfr', subject: api.topology.hes, signKey: keys.sign.publicKey, encKey: keys.enc.publicKey },
    hes.sign.secretKey,
    crypto,
  );
  attacker.inject('dc1', victim, encodeTnEnrolment({ ...genuine, hesCert: minted.bytes }));
  await api.sleep(10_000);
  release();
  await installed;

  const rogue = attacker.rogueManufacturer.signFirmware(90, new Uint8Array(600).fill(9));
  for (const frame of [rogue.manifest, ...rogue.chunks]) attacker.inject('dc1', SEGMENT_BROADCAST, frame);
}
