/**
 * secure_TN_HES and secure_HES_TN after a replacement (issue 11 item 2): the attacker keeps the
 * removed TN unit's keys and holds back everything the new unit sends, so its registration (lean)
 * or its channel (smgw-tls) waits. Meanwhile the HES is asked for a confidential message to that
 * TN and a meter round: anything sealed to the old unit's key that the attacker can read is
 * reported as a breach, and a response forged with the old unit's key must be refused. Then the
 * new unit's frames go through and it enrols.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { signThenSeal } from '../../nodes/lean/frame-builders';
import { decodeFrame } from '../../nodes/protocol/frame';
import { meterReadingBody, sealedHeader } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';

export const name = 'replaced-unit-keys';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:secure_TN_HES,mode:lean}': ['count>0'],
};

export default async function campaign(api: CampaignApi): Promise<void> {
  const attacker = api.attacker('secure_TN_HES');
  const [victim] = api.topology.tnsOf('dc1');
  if (!victim) return api.log('needs a TN on dc1; skipped');
  const old = api.mode.keysOf ? attacker.compromise(victim) : undefined;
  const requests = attacker.record({ link: 'plc:dc1', class: 'meter-request' });
  await api.at(30_000);
  // what the HES seals from the replacement on: a message the old unit had before is its own to read
  const confidential = attacker.record({ class: 'confidential' });
  const holdBack = attacker.block({ link: 'plc:dc1', direction: 'up', from: victim });
  const replacing = api.mode.replace(victim);
  await api.sleep(2_000);
  api.mode.confidential(victim, new TextEncoder().encode('new tariff from 22:00'));
  const asked = requests.frames.length;
  const round = api.mode.meterRound(20_000);
  await api.sleep(2_000);
  // and the round's first request on dc1's segment (under load, over the broker, it can come later):
  // its counter is the one a forged response must answer
  await api.until(() => requests.frames.length > asked, { within: 20_000, what: "the meter round's first request on dc1" });
  if (old && api.mode.keysOf) {
    for (const frame of confidential.frames) {
      const m = decodeFrame(frame.bytes);
      if (m.ok && m.value.cls === MessageClass.Confidential && attacker.crypto.open(m.value.sealed, old.enc.secretKey, m.value.header))
        api.breach('secure_HES_TN', `read a message for ${victim} with its old unit's key`);
    }
    const request = decodeFrame(requests.frames.at(-1)?.bytes ?? new Uint8Array(0));
    if (request.ok && request.value.cls === MessageClass.MeterRequest) {
      const forged = signThenSeal(
        sealedHeader({ cls: MessageClass.MeterResponse, tn: victim, hes: 'hes' }),
        meterReadingBody({ counter: request.value.counter, registers: [[1, 0]] }),
        old.sign.secretKey,
        api.mode.keysOf('hes').enc.publicKey,
        attacker.crypto,
      );
      attacker.inject('dc1', 'hes', forged.frame);
    }
  }
  await round;
  holdBack();
  await replacing;
}
