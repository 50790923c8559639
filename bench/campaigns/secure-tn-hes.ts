/**
 * secure_TN_HES: a TN's meter response is readable only by the HES, authentic, and accepted only
 * once. The attacker records responses on dc1's WAN link, tries to read them with the keys of a
 * compromised DC and a compromised TN (any success is reported as a breach), replays them, rewrites
 * their clear header to another TN, and forges responses with the compromised TN's key. In
 * smgw-tls mode the same position replays and alters the TNs' TLS records.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { signThenSeal } from '../../nodes/lean/frame-builders';
import { decodeFrame } from '../../nodes/protocol/frame';
import { meterReadingBody, sealedHeader } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';

export const name = 'secure-tn-hes';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:secure_TN_HES,mode:lean}': ['count>0'],
};

export default async function campaign(api: CampaignApi): Promise<void> {
  const attacker = api.attacker('secure_TN_HES');
  const [victim, thief] = api.topology.tnsOf('dc1');
  if (!victim || !thief) return api.log('needs two TNs on dc1; skipped');
  const responses = attacker.record({ link: 'wan:dc1', direction: 'up', class: 'meter-response' });
  const records = attacker.record({ link: 'plc:dc1', direction: 'up', class: 'tls-record', from: thief });
  const requests = attacker.record({ link: 'plc:dc1', class: 'meter-request' });
  await api.at(5_000);
  await api.mode.meterRound(60_000);

  // the round is over: what it put on the wire may still be on its way to the recordings
  if (!api.mode.keysOf) {
    await api.until(() => records.frames.length >= 3, { within: 20_000, what: `three TLS records up from ${thief}` });
    for (const f of records.frames.slice(-3)) attacker.replay(f);
    return;
  }
  await api.until(() => responses.frames.length > 0, { within: 20_000, what: "the round's meter responses on wan:dc1" });

  const stolen = [attacker.compromise('dc1'), attacker.compromise(thief)];
  for (const frame of responses.frames) {
    const r = decodeFrame(frame.bytes);
    if (!r.ok || r.value.cls !== MessageClass.MeterResponse) continue;
    for (const keys of stolen)
      if (attacker.crypto.open(r.value.sealed, keys.enc.secretKey, r.value.header))
        api.breach('secure_TN_HES', `read a response of ${r.value.tn}`);
  }
  for (const f of responses.frames) attacker.replay(f);

  // a round the victim's own answer does not reach: the attacker answers for it
  const silence = attacker.block({ link: 'plc:dc1', class: 'meter-response', from: victim });
  const asked = requests.frames.length;
  const round = api.mode.meterRound(30_000);
  await api.sleep(2_000);
  await api.until(() => requests.frames.length > asked, { within: 20_000, what: "the new round's meter request" });
  const request = decodeFrame(requests.frames.at(-1)?.bytes ?? new Uint8Array(0));
  if (request.ok && request.value.cls === MessageClass.MeterRequest) {
    const hesKey = api.mode.keysOf('hes').enc.publicKey;
    const forged = signThenSeal(
      sealedHeader({ cls: MessageClass.MeterResponse, tn: victim, hes: 'hes' }),
      meterReadingBody({ counter: request.value.counter, registers: [[1, 0]] }),
      stolen[1]!.sign.secretKey,
      hesKey,
      attacker.crypto,
    );
    attacker.inject('dc1', 'hes', forged.frame);
  }
  const rewrite = attacker.intercept({ link: 'wan:dc1', direction: 'up', class: 'meter-response', from: 'dc1' }, (frame, ctx) => {
    const bytes = frame.bytes.slice();
    const r = decodeFrame(bytes);
    if (!r.ok || r.value.cls !== MessageClass.MeterResponse || r.value.tn !== thief) return ctx.forward(frame);
    bytes.set(new TextEncoder().encode(victim), 3); // same length ids: the header now names the victim
    ctx.tamper(frame, bytes);
  });
  await round;
  rewrite();
  silence();
  await api.mode.meterRound(30_000);
}
