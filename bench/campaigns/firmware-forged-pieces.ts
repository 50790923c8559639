/**
 * fresh_authentic_FW, availability (issue 11 item 5): during a rollout the attacker puts forged
 * copies of chunks on dc1's segment, each ahead of the genuine one, on every carousel pass: two
 * per pass, one just before its genuine chunk and one ahead of the chunks before it. Each piece is
 * checked against the release's signed hash chain on arrival: the forged ones are refused and
 * counted, and the rollout completes. In smgw-tls firmware goes down each TN's TLS channel and
 * there are no broadcast chunks to forge.
 */
import type { CampaignApi } from '../campaign/campaign-api';
import { decodeFrame } from '../../nodes/protocol/frame';
import { encodeFirmwareChunk } from '../../nodes/protocol/operational-frames';
import { MessageClass } from '../../nodes/protocol/message-class';

export const name = 'firmware-forged-pieces';
export const thresholds = {
  attack_accepted: ['count==0'],
  'attack_rejected{goal:fresh_authentic_FW,mode:lean}': ['count>0'],
};

export default async function campaign(api: CampaignApi): Promise<void> {
  const attacker = api.attacker('fresh_authentic_FW');
  const stop = attacker.intercept({ link: 'plc:dc1', class: 'firmware-chunk' }, (frame, ctx) => {
    ctx.forward(frame);
    const chunk = decodeFrame(frame.bytes);
    if (!chunk.ok || chunk.value.cls !== MessageClass.FirmwareChunk || chunk.value.index !== 0) return;
    for (const index of [4, 1]) {
      const data = chunk.value.data.map((x) => x ^ 0xa5);
      ctx.inject({ from: frame.from, to: frame.to, bytes: encodeFirmwareChunk({ ...chunk.value, index, data }) });
    }
  });
  await api.at(5_000);
  const report = await api.mode.firmware({ version: 2, image: new Uint8Array(2_048).map((_, i) => (i * 7) & 0xff) }, 120_000);
  stop();
  if (report.missing.length) api.breach('fresh_authentic_FW', `forged pieces kept ${report.missing.join(', ')} from installing`);
}
