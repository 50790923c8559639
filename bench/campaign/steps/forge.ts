import { z } from 'zod';
import { signFrame } from '../../../nodes/lean/frame-builders';
import { MessageClass } from '../../../nodes/protocol/message-class';
import { nodeId } from '../../scenario/schema';
import { checkSigner, destination, needsKeysOf, registerStep, signer } from '../step';

const counter = z.number().int().min(0).max(0xffffffff);

const forged = z.discriminatedUnion('class', [
  z
    .object({
      class: z.literal('automation'),
      fields: z.object({ dc: nodeId, group: nodeId, counter, relay: z.union([z.literal(0), z.literal(1)]) }).strict(),
    })
    .strict(),
  z
    .object({
      class: z.literal('meter-request'),
      fields: z
        .object({
          hes: nodeId,
          group: z.union([nodeId, z.literal('*')]),
          counter,
          request: z.number().int().min(0).max(255).default(0),
        })
        .strict(),
    })
    .strict(),
]);

/**
 * Signs an automation command or a meter request with the attacker's own key or a compromised
 * node's, and injects it `count` times as if `from` sent it.
 */
export const forge = registerStep({
  name: 'forge',
  summary: "inject automation commands or meter requests signed with the attacker's or a compromised node's key",
  config: z.intersection(forged, z.object({ signer, from: nodeId, to: destination, count: z.number().int().min(1).default(1) })),
  check: (c, at) => {
    checkSigner(c.signer, at);
    at.node(c.from, 'from');
    at.destination(c.to, 'to');
  },
  inapplicable: (c, mode) => needsKeysOf(c.signer, mode),
  run: (c, { attacker }) => {
    const key = c.signer === 'attacker' ? attacker.keys.sign.secretKey : attacker.compromise(c.signer).sign.secretKey;
    const unsigned =
      c.class === 'automation'
        ? { cls: MessageClass.Automation as const, ...c.fields }
        : { cls: MessageClass.MeterRequest as const, ...c.fields };
    const { frame } = signFrame(unsigned, key, attacker.crypto);
    for (let i = 0; i < c.count; i++) attacker.inject(c.from, c.to, frame);
  },
});
