import { z } from 'zod';
import { SEGMENT_BROADCAST } from '../../../core/transport';
import { signFrame } from '../../../nodes/lean/frame-builders';
import { ALL_TNS } from '../../../nodes/protocol/frame-fields';
import { MessageClass } from '../../../nodes/protocol/message-class';
import { nodeId } from '../../scenario/schema';
import { sizeSchema } from '../../scenario/units';
import { checkSigner, needsKeysOf, registerStep, signer } from '../step';

/**
 * Broadcasts a firmware image on a DC's segment that the manufacturer never signed: signed by the
 * attacker's own root, or with the manufacturer's name on a manifest signed by a compromised node.
 */
export const rogueFirmware = registerStep({
  name: 'rogueFirmware',
  summary: 'broadcast firmware signed by the attacker or a compromised node',
  config: z.object({ version: z.number().int().positive(), size: sizeSchema, signer, from: nodeId }).strict(),
  check: (c, at) => {
    checkSigner(c.signer, at);
    at.node(c.from, 'from', 'dc');
  },
  inapplicable: (c, mode) => needsKeysOf(c.signer, mode),
  run: ({ version, size, signer, from }, { attacker }) => {
    const image = new Uint8Array(size).map((_, i) => (i * 7 + version) & 0xff);
    const firmware = attacker.rogueManufacturer.signFirmware(version, image);
    let manifest = firmware.manifest;
    if (signer !== 'attacker') {
      manifest = signFrame(
        {
          cls: MessageClass.FirmwareManifest,
          issuer: 'mfr',
          group: ALL_TNS,
          version,
          size,
          chunkSize: 200,
          digest: attacker.crypto.sha256(image),
        },
        attacker.compromise(signer).sign.secretKey,
        attacker.crypto,
      ).frame;
    }
    for (const frame of [manifest, ...firmware.chunks]) attacker.inject(from, SEGMENT_BROADCAST, frame);
  },
});
