import { z } from 'zod';
import { MESSAGE_CLASS_NAMES, MessageClass } from '../../../nodes/protocol/message-class';
import { nodeId } from '../../scenario/schema';
import { destination, registerStep, stepId } from '../step';

const classes = Object.values(MESSAGE_CLASS_NAMES) as [string, ...string[]];
const CODE = new Map(Object.entries(MESSAGE_CLASS_NAMES).map(([code, name]) => [name, Number(code) as MessageClass]));

/** Sends the last recorded frame of a recording again under another class byte, as `from` to `to`. */
export const relabel = registerStep({
  name: 'relabel',
  summary: 'inject a recorded frame under another message class',
  config: z.object({ recording: stepId, class: z.enum(classes), from: nodeId, to: destination }).strict(),
  check: ({ recording, from, to }, at) => {
    if (!at.defined('recording', recording)) at.problem('recording', `no earlier record step "${recording}"`);
    at.node(from, 'from');
    at.destination(to, 'to');
  },
  run: (c, step) => {
    const frame = step.timeline.recordings.get(c.recording)?.frames.at(-1);
    if (!frame || frame.bytes.length < 2) return;
    const bytes = frame.bytes.slice();
    bytes[1] = CODE.get(c.class)!;
    step.attacker.inject(c.from, c.to, bytes);
  },
});
