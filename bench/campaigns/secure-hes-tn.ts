/**
 * secure_HES_TN: a confidential message is readable only by its TN, authentic, and accepted only
 * once. The HES sends confidential messages to a TN on dc1; the attacker tries to read them with a
 * compromised DC's and another TN's keys (a breach if it can), replays them to the same TN and to
 * another, readdresses one, and has a compromised recipient re-encrypt the HES-signed content for
 * a different TN. In smgw-tls mode it replays and alters the TLS records instead.
 *
 * The recipient is dc1's last TN, the other TN the one before: the first TNs are those the
 * replacement campaigns replace (replaced-unit-keys, authentic-certs-tn, hes-host-compromise), and
 * a message for a TN being replaced waits for its new unit to register, at a time that differs
 * between runs (in process, or under --processes, where the HES learns the new unit over the
 * operator), as does whose keys the compromised recipient holds.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { decodeFrame } from '../../nodes/protocol/frame';
import { sealedHeader } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';

export const name = 'secure-hes-tn';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:secure_HES_TN,mode:lean}': ['count>0'],
};

const secret = (text: string) => new TextEncoder().encode(text);

export default async function campaign(api: CampaignApi): Promise<void> {
  const attacker = api.attacker('secure_HES_TN');
  const [other, recipient] = api.topology.tnsOf('dc1').slice(-2);
  if (!recipient || !other) return api.log('needs two TNs on dc1; skipped');
  const messages = attacker.record({ link: 'plc:dc1', class: 'confidential', to: recipient });
  const records = attacker.record({ link: 'plc:dc1', direction: 'down', class: 'tls-record', to: recipient });
  await api.at(5_000);
  api.mode.confidential(recipient, secret('prepaid balance 12.50 EUR'));
  await api.sleep(20_000);
  // lean seals the message in a frame of its class, smgw-tls sends it in TLS records
  const lean = api.mode.keysOf !== undefined;
  await api.until(() => (lean ? messages.frames.length > 0 : records.frames.length >= 2), {
    within: 20_000,
    what: lean ? `the confidential message to ${recipient}` : `two TLS records down to ${recipient}`,
  });
  for (const f of records.frames.slice(-2)) attacker.replay(f);
  const f = messages.frames.at(-1);
  if (!api.mode.keysOf || !f) return;

  const m = decodeFrame(f.bytes);
  if (!m.ok || m.value.cls !== MessageClass.Confidential) return;
  for (const node of ['dc1', other]) {
    const keys = attacker.compromise(node);
    if (attacker.crypto.open(m.value.sealed, keys.enc.secretKey, m.value.header))
      api.breach('secure_HES_TN', `${node}'s keys read a message for ${recipient}`);
  }
  attacker.replay(f);
  attacker.replay(f, { from: 'dc1', to: other });
  // the recipient, compromised, passes the HES-signed content on to another TN
  const thief = attacker.compromise(recipient);
  const content = attacker.crypto.open(m.value.sealed, thief.enc.secretKey, m.value.header);
  if (content) {
    const header = sealedHeader({ cls: MessageClass.Confidential, hes: 'hes', tn: other });
    const victimKey = api.mode.keysOf(other).enc.publicKey;
    attacker.inject('dc1', other, Uint8Array.of(...header, ...attacker.crypto.seal(content, victimKey, header)));
  }
  await api.sleep(5_000);
  api.mode.confidential(recipient, secret('tariff change at 22:00'));
}
