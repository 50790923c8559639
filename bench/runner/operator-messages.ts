/**
 * What a node host takes from the operator channel (operator-channel.ts), checked field by field:
 * the bytes come off a network socket, so a message that is not one of these is refused and
 * counted by the host, with the field that is wrong, never handed to the mode. The lifecycle
 * messages (bootstrap, start, stop) are the --processes parent's, over IPC; a lab's host runs its
 * own lifecycle and takes only the campaign's operations and the operator's answers.
 */
import { deserialize } from 'node:v8';
import type { NodeId } from '../../core/transport';
import type { ParentMessage } from './host-messages';

/** The operator channel's own greeting, each way: the operator says it is there, the host that it listens. */
export const HELLO = { type: 'hello' } as const;

type Fields = Readonly<Record<string, unknown>>;
type Check = (v: Fields, nodes: ReadonlySet<NodeId>) => string | undefined;

const isNode =
  (field: string): Check =>
  (v, nodes) =>
    typeof v[field] === 'string' && nodes.has(v[field]) ? undefined : `${field}: expected a node of the scenario`;
const isNumber =
  (field: string): Check =>
  (v) =>
    typeof v[field] === 'number' && Number.isFinite(v[field]) && v[field] >= 0 ? undefined : `${field}: expected a number >= 0`;
const isBytes =
  (field: string): Check =>
  (v) =>
    v[field] instanceof Uint8Array ? undefined : `${field}: expected bytes`;
const isRelay: Check = (v) => (v.relay === 'on' || v.relay === 'off' ? undefined : 'relay: expected on or off');
const optionalString =
  (field: string): Check =>
  (v) =>
    v[field] === undefined || typeof v[field] === 'string' ? undefined : `${field}: expected a string`;

/** Each operation's fields (host-messages.ts HostOp). */
const OPS: Readonly<Record<string, readonly Check[]>> = {
  automation: [isNode('dc'), isRelay],
  meterRound: [isNumber('timeoutMs')],
  confidential: [isNode('tn'), isBytes('payload')],
  firmware: [isNumber('version'), isBytes('image'), isNumber('timeoutMs')],
  powerRestored: [isNode('dc')],
  replace: [isNode('node')],
  admit: [isNode('node')],
  reenrol: [isNode('dc')],
};

/** The parent's messages the operator channel carries, and their fields. */
const MESSAGES: Readonly<Record<string, readonly Check[]>> = {
  op: [
    isNumber('id'),
    (v, nodes) =>
      typeof v.op === 'string' && Object.hasOwn(OPS, v.op)
        ? check(OPS[v.op]!, v, nodes)
        : `op: expected one of ${Object.keys(OPS).join(', ')}`,
  ],
  registered: [isNumber('id'), optionalString('error')],
  issued: [isNumber('id'), optionalString('error')],
};

const check = (checks: readonly Check[], v: Fields, nodes: ReadonlySet<NodeId>): string | undefined => {
  for (const c of checks) {
    const problem = c(v, nodes);
    if (problem) return problem;
  }
  return undefined;
};

/** Bytes off the operator channel as a message; a string for what cannot be one. */
export function decodeMessage(bytes: Uint8Array | undefined): Fields | string {
  if (!bytes?.length) return 'an empty message';
  try {
    const v: unknown = deserialize(bytes);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as Fields).type === 'string'
      ? (v as Fields)
      : 'not a message: expected an object with a type';
  } catch (err) {
    return `undecodable: ${(err as Error).message}`;
  }
}

/**
 * A decoded message as a ParentMessage the host takes, or why it is refused: `reason` is the
 * operator_rejected reason (malformed, or not-offered for the --processes parent's lifecycle).
 */
export function parentMessage(
  v: Fields,
  nodes: ReadonlySet<NodeId>,
): ParentMessage | { reason: 'malformed' | 'not-offered'; detail: string } {
  const type = String(v.type);
  if (type === 'bootstrap' || type === 'start' || type === 'stop')
    return { reason: 'not-offered', detail: `${type}: the host runs its own lifecycle; only a --processes parent orders it` };
  const checks = Object.hasOwn(MESSAGES, type) ? MESSAGES[type] : undefined;
  if (!checks) return { reason: 'malformed', detail: `type ${type.slice(0, 40)}: not a message the host takes` };
  const problem = check(checks, v, nodes);
  return problem ? { reason: 'malformed', detail: `${type}: ${problem}` } : (v as unknown as ParentMessage);
}
