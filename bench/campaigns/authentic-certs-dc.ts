/**
 * authentic_certs_DC: the HES and DC certificates a DC accepts were issued by the manufacturer and
 * the HES. Lean mode only: dc1 is replaced by a new unit; while its genuine certificates are held
 * back on the WAN the attacker offers a chain from its own root, a DC certificate it signed
 * itself, dc2's genuine chain, and an altered one, and asks the HES to certify keys of its own and
 * a compromised dc2's keys under dc1's name. Then the genuine enrolment goes through and dc1's
 * TNs follow the new unit.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { signFrame } from '../../nodes/lean/frame-builders';
import { CertRole, issueCertificate } from '../../nodes/protocol/certificate';
import { encodeDcEnrolment, type DcEnrolment } from '../../nodes/protocol/enrolment-frames';
import { decodeAs } from '../../nodes/protocol/frame';
import { MessageClass } from '../../nodes/protocol/message-class';

export const name = 'authentic-certs-dc';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:authentic_certs_DC,mode:lean}': ['count>0'],
};

export default async function campaign(api: CampaignApi): Promise<void> {
  // lean enrolment frames and node keys to attack: every mode replaces units, only lean speaks this protocol
  if (!api.mode.keysOf)
    return api.log(`needs the lean protocol's enrolment and node keys, which ${api.modeName} mode does not have; skipped`);
  const [dc1, dc2] = api.topology.dcs.map((d) => d.id);
  if (!dc1 || !dc2) return api.log('needs two DCs; skipped');
  const attacker = api.attacker('authentic_certs_DC');
  const { crypto, keys } = attacker;

  const enrolments = attacker.record({ class: 'dc-enrolment' });
  const csrs = attacker.record({ class: 'dc-csr', from: dc1 });
  await api.at(5_000);
  await api.mode.replace(dc2); // the attacker watches dc2's new unit enrol: a genuine chain to borrow
  const toDc2 = () => enrolments.frames.find((f) => f.to === dc2);
  if (!(await api.until(() => toDc2() !== undefined, { within: 60_000, what: `${dc2}'s enrolment` })))
    throw new Error(`${dc2}'s enrolment was not seen: the attack did not run`);
  const other = decodeAs(toDc2()!.bytes, MessageClass.DcEnrolment);

  const release = attacker.block({ link: `wan:${dc1}`, class: 'dc-enrolment', to: dc1 });
  const installed = api.mode.replace(dc1);
  if (!(await api.until(() => csrs.frames.length > 0, { within: 600_000, what: `${dc1}'s new unit's CSR` }))) {
    release();
    await installed;
    // a failed step, not a quiet pass: the verdict must not count an attack that never ran
    throw new Error(`${dc1}'s new unit's CSR was not seen: the attack did not run`);
  }
  const csr = decodeAs(csrs.frames.at(-1)!.bytes, MessageClass.DcCsr);
  const dcCert = (signer: Uint8Array) =>
    issueCertificate({ role: CertRole.Dc, issuer: 'hes', subject: dc1, signKey: csr.signKey, encKey: csr.encKey }, signer, crypto).bytes;
  const rogueHes = attacker.rogueManufacturer.certifyHes('hes', keys.sign.publicKey, keys.enc.publicKey);
  const offer = (e: Omit<DcEnrolment, 'cls'>) => attacker.inject('hes', dc1, encodeDcEnrolment(e));
  offer({ dc: dc1, hesCert: rogueHes.bytes, dcCert: dcCert(keys.sign.secretKey) });
  offer({ dc: dc1, hesCert: other.hesCert, dcCert: dcCert(keys.sign.secretKey) });
  offer({ ...other, dc: dc1 });
  const altered = other.dcCert.slice();
  altered[altered.length - 1]! ^= 1;
  offer({ dc: dc1, hesCert: other.hesCert, dcCert: altered });

  attacker.compromise(dc2);
  for (const k of [keys, attacker.compromise(dc2)]) {
    const forged = signFrame(
      { cls: MessageClass.DcCsr, dc: dc1, signKey: k.sign.publicKey, encKey: k.enc.publicKey },
      k.sign.secretKey,
      crypto,
    );
    attacker.inject(dc1, 'hes', forged.frame);
  }
  await api.sleep(10_000);
  release();
  await installed;
  api.log(`${dc1} and its TNs enrolled with the genuine chain after ${attacker.injected} forged frames`);
}
