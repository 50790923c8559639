/**
 * authentic_certs_TN: the certificates a TN accepts were issued by the manufacturer and the HES.
 * Lean mode only (smgw-tls TNs hold X.509 credentials from the run's PKI instead): a TN on dc1 is
 * replaced by a new unit, and while its genuine enrolment is held back on the PLC the attacker
 * offers it a chain from its own root, the genuine chain with forged or borrowed acknowledgements
 * and counter anchors, and another DC's genuine certificate. Then the genuine enrolment goes
 * through.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { signFrame } from '../../nodes/lean/frame-builders';
import { CertRole, issueCertificate } from '../../nodes/protocol/certificate';
import { encodeTnEnrolment, type TnEnrolment } from '../../nodes/protocol/enrolment-frames';
import { decodeAs } from '../../nodes/protocol/frame';
import { MessageClass } from '../../nodes/protocol/message-class';

export const name = 'authentic-certs-tn';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:authentic_certs_TN,mode:lean}': ['count>0'],
};

const enrolmentOf = (bytes: Uint8Array): TnEnrolment => decodeAs(bytes, MessageClass.TnEnrolment);

export default async function campaign(api: CampaignApi): Promise<void> {
  // lean enrolment frames and node keys to attack: every mode replaces units, only lean speaks this protocol
  if (!api.mode.keysOf)
    return api.log(`needs the lean protocol's enrolment and node keys, which ${api.modeName} mode does not have; skipped`);
  const attacker = api.attacker('authentic_certs_TN');
  const [victim, sibling] = api.topology.tnsOf('dc1');
  const stranger = api.topology.dcs[1] ? api.topology.tnsOf(api.topology.dcs[1].id)[0] : undefined;
  if (!victim || !sibling) return api.log('needs two TNs on dc1; skipped');

  // genuine enrolments to borrow from: the attacker watches two other units being installed
  const seen = attacker.record({ class: 'tn-enrolment' });
  await api.at(5_000);
  await api.mode.replace(sibling);
  if (stranger) await api.mode.replace(stranger);
  const to = (tn: string) => seen.frames.find((f) => f.to === tn);
  const enrolled = () => to(sibling) !== undefined && (!stranger || to(stranger) !== undefined);
  if (!(await api.until(enrolled, { within: 60_000, what: `the enrolments of ${[sibling, stranger].filter(Boolean).join(' and ')}` })))
    throw new Error(`the enrolments of ${sibling}${stranger ? ` and ${stranger}` : ''} were not seen: the attack did not run`);
  const borrowed = enrolmentOf(to(sibling)!.bytes);
  const foreign = stranger ? enrolmentOf(to(stranger)!.bytes) : undefined;

  const held = attacker.record({ link: 'plc:dc1', class: 'tn-enrolment', to: victim });
  const release = attacker.block({ link: 'plc:dc1', class: 'tn-enrolment', to: victim });
  const installed = api.mode.replace(victim);
  if (!(await api.until(() => held.frames.length > 0, { within: 600_000, what: `${victim}'s new unit's enrolment` }))) {
    release();
    await installed;
    // a failed step, not a quiet pass: the verdict must not count an attack that never ran
    throw new Error(`${victim}'s new unit's enrolment was not seen: the attack did not run`);
  }
  const genuine = enrolmentOf(held.frames[0]!.bytes);
  const { crypto, keys } = attacker;
  const send = (e: Omit<TnEnrolment, 'cls'>) => attacker.inject('dc1', victim, encodeTnEnrolment(e));

  const rogueHes = attacker.rogueManufacturer.certifyHes('hes', keys.sign.publicKey, keys.enc.publicKey);
  const rogueDc = issueCertificate(
    { role: CertRole.Dc, issuer: 'hes', subject: 'dc1', signKey: keys.sign.publicKey, encKey: keys.enc.publicKey },
    keys.sign.secretKey,
    crypto,
  );
  send({ ...genuine, hesCert: rogueHes.bytes, dcCert: rogueDc.bytes });
  send({ ...genuine, ack: borrowed.ack });
  send({ ...genuine, anchor: borrowed.anchor });
  send({ ...borrowed, tn: victim });
  const { nonce } = decodeAs(genuine.anchor, MessageClass.CounterAnchor);
  const lowAnchor = signFrame(
    { cls: MessageClass.CounterAnchor, dc: 'dc1', tn: victim, nonce, counter: 0 },
    keys.sign.secretKey,
    crypto,
  ).frame;
  send({ ...genuine, anchor: lowAnchor });
  if (foreign) send({ ...genuine, dcCert: foreign.dcCert });
  await api.sleep(10_000);
  release();
  await installed;
  api.log(`${victim} enrolled with its genuine chain after ${attacker.injected} forged enrolments`);
}
