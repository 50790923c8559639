/**
 * What a node host takes from the operator channel (operator-channel.ts), checked field by field
 * (and, at the end, what the operator takes from a host: hostMessage):
 * the bytes come off a network socket, so a message that is not one of these is refused and
 * counted by the host, with the field that is wrong, never handed to the mode. The lifecycle
 * messages (bootstrap, start, stop) are the --processes parent's, over IPC; a lab's host runs its
 * own lifecycle and takes only the campaign's operations and the operator's answers.
 */
import { deserialize } from 'node:v8';
import type { NodeId } from '../../core/transport';
import { MESSAGE_CLASS_NAMES } from '../../nodes/protocol/message-class';
import type { HostMessage, ParentMessage } from './host-messages';

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

/** The longest node name, error or sample tag a host may send: a name is a few characters, an error a line. */
const MAX_NAME = 256;
const MAX_TEXT = 64 * 1024;

type Problem = string | undefined;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const name = (v: unknown, field: string): Problem =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME ? undefined : `${field}: expected a name of 1 to ${MAX_NAME} characters`;
const text = (v: unknown, field: string): Problem =>
  v === undefined || (typeof v === 'string' && v.length <= MAX_TEXT)
    ? undefined
    : `${field}: expected a string of at most ${MAX_TEXT} characters`;
const count = (v: unknown, field: string): Problem =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `${field}: expected a number >= 0`;
const bytes = (v: unknown, field: string): Problem => (v instanceof Uint8Array ? undefined : `${field}: expected bytes`);
const first = (...problems: (() => Problem)[]): Problem => {
  for (const p of problems) {
    const problem = p();
    if (problem) return problem;
  }
  return undefined;
};
/** Each element of a list, naming the first that is wrong by its index. */
const each = (v: unknown, field: string, checkOne: (e: unknown, at: string) => Problem): Problem => {
  if (!Array.isArray(v)) return `${field}: expected a list`;
  for (let i = 0; i < v.length; i++) {
    const problem = checkOne(v[i], `${field}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
};
const record = (v: unknown, field: string, checkOne: (e: unknown, at: string) => Problem): Problem => {
  if (!isObject(v)) return `${field}: expected a map`;
  for (const [k, e] of Object.entries(v)) {
    const problem = name(k, `${field} key`) ?? checkOne(e, `${field}.${k.slice(0, 40)}`);
    if (problem) return problem;
  }
  return undefined;
};

const keyPair = (v: unknown, at: string): Problem =>
  isObject(v)
    ? first(
        () => bytes(v.secretKey, `${at}.secretKey`),
        () => bytes(v.publicKey, `${at}.publicKey`),
      )
    : `${at}: expected a key pair`;

const acceptance = (v: unknown, at: string): Problem =>
  isObject(v)
    ? first(
        () => name(v.node, `${at}.node`),
        () => (typeof v.cls === 'number' && Object.hasOwn(MESSAGE_CLASS_NAMES, v.cls) ? undefined : `${at}.cls: expected a message class`),
        () => name(v.sender, `${at}.sender`),
        () => name(v.recipient, `${at}.recipient`),
        () => count(v.counter, `${at}.counter`),
        () => bytes(v.signed, `${at}.signed`),
        () => bytes(v.signerKey, `${at}.signerKey`),
        () => (v.certificates === undefined ? undefined : each(v.certificates, `${at}.certificates`, bytes)),
        () => (v.attack === undefined ? undefined : name(v.attack, `${at}.attack`)),
      )
    : `${at}: expected an acceptance`;

/** One oracle event (host-messages.ts Observed). */
const observed = (v: unknown, at: string): Problem => {
  if (!isObject(v)) return `${at}: expected an event`;
  const time = count(v.at, `${at}.at`);
  if (time) return time;
  switch (v.kind) {
    case 'issued':
      return bytes(v.certificate, `${at}.certificate`);
    case 'sent':
      return first(
        () => name(v.sender, `${at}.sender`),
        () => bytes(v.signed, `${at}.signed`),
        () => (v.recipient === undefined ? undefined : name(v.recipient, `${at}.recipient`)),
      );
    case 'accepted':
      return acceptance(v.acceptance, `${at}.acceptance`);
    case 'replaced':
      return name(v.node, `${at}.node`);
    default:
      return `${at}.kind: expected issued, sent, accepted or replaced`;
  }
};

const sample = (v: unknown, at: string): Problem =>
  isObject(v)
    ? first(
        () => name(v.measurement, `${at}.measurement`),
        () => record(v.tags, `${at}.tags`, (t, tAt) => (typeof t === 'string' ? text(t, tAt) : `${tAt}: expected a string`)),
        () =>
          record(v.fields, `${at}.fields`, (f, fAt) =>
            typeof f === 'number' || typeof f === 'boolean' || (typeof f === 'string' && f.length <= MAX_TEXT)
              ? undefined
              : `${fAt}: expected a number, a boolean or a string`,
          ),
        () => count(v.time, `${at}.time`),
      )
    : `${at}: expected a sample`;

/** The host's messages the operator takes over the operator channel (the IPC's lifecycle ones are the --processes parent's). */
const HOST_MESSAGES: Readonly<Record<string, (v: Fields) => Problem>> = {
  observed: (v) =>
    first(
      () => each(v.events, 'events', observed),
      () => (v.upTo === undefined ? undefined : count(v.upTo, 'upTo')),
    ),
  keys: (v) =>
    record(v.keys, 'keys', (k, at) =>
      isObject(k)
        ? first(
            () => keyPair(k.sign, `${at}.sign`),
            () => keyPair(k.enc, `${at}.enc`),
          )
        : `${at}: expected an identity`,
    ),
  'op-done': (v) =>
    first(
      () => count(v.id, 'id'),
      () => (typeof v.mine === 'boolean' ? undefined : 'mine: expected true or false'),
      () => text(v.error, 'error'),
    ),
  register: (v) =>
    first(
      () => count(v.id, 'id'),
      () => name(v.node, 'node'),
    ),
  issue: (v) =>
    first(
      () => count(v.id, 'id'),
      () => name(v.node, 'node'),
    ),
  samples: (v) => each(v.samples, 'samples', sample),
};

/**
 * A decoded message from a host, on the operator's side, as a HostMessage the relay takes, or why
 * it is refused, naming the field: a compromised host's message is checked as the host checks the
 * operator's (parentMessage), so that nothing it sends reaches the relay with fields of another shape.
 */
export function hostMessage(v: Fields): HostMessage | string {
  const type = String(v.type);
  const checkIt = Object.hasOwn(HOST_MESSAGES, type) ? HOST_MESSAGES[type] : undefined;
  if (!checkIt) return `type ${type.slice(0, 40)}: not a message the operator takes`;
  const problem = checkIt(v);
  return problem ? `${type}: ${problem}` : (v as unknown as HostMessage);
}
