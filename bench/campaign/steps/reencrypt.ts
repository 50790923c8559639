import { z } from 'zod';
import { decodeFrame } from '../../../nodes/protocol/frame';
import { MessageClass } from '../../../nodes/protocol/message-class';
import { sealedHeader } from '../../../nodes/protocol/operational-frames';
import { nodeId } from '../../scenario/schema';
import { checkSigner, registerStep, stepId } from '../step';

/**
 * Opens every recorded confidential message it can with the keys of a node the attacker
 * compromised, and seals what it read again for another TN, injected as `from` (a DC) to it: the
 * HES-signed content under a header that names the new recipient.
 */
export const reencrypt = registerStep({
  name: 'reencrypt',
  summary: 'read recorded confidential messages with a compromised key and seal them for another TN',
  config: z.object({ recording: stepId, holder: nodeId, for: nodeId, from: nodeId }).strict(),
  check: (c, at) => {
    if (!at.defined('recording', c.recording)) at.problem('recording', `no earlier record step "${c.recording}"`);
    checkSigner(c.holder, at);
    at.node(c.for, 'for', 'tn');
    at.node(c.from, 'from', 'dc');
  },
  inapplicable: (_c, mode) => (mode.keysOf ? undefined : 'need lean-protocol keys'),
  run: (c, { attacker, context, timeline }) => {
    const keys = attacker.compromise(c.holder);
    const victim = context.mode.keysOf!(c.for).enc.publicKey;
    for (const f of timeline.recordings.get(c.recording)?.frames ?? []) {
      const m = decodeFrame(f.bytes);
      if (!m.ok || m.value.cls !== MessageClass.Confidential) continue;
      const content = attacker.crypto.open(m.value.sealed, keys.enc.secretKey, m.value.header);
      if (!content) continue;
      const header = sealedHeader({ cls: MessageClass.Confidential, hes: m.value.hes, tn: c.for });
      attacker.inject(c.from, c.for, Uint8Array.of(...header, ...attacker.crypto.seal(content, victim, header)));
    }
  },
});
