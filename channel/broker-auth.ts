import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';
import * as zmq from 'zeromq';
import { replaceFile } from '../core/replace-file';
import type { NodeId } from '../core/transport';

/**
 * Who may speak on the broker's wire (channel/README.md, "Node identity"). A node's identity was
 * the ZeroMQ routing id it picks, so anyone could connect as `hes`. With authentication on:
 *
 * - every connection is ZeroMQ CURVE (encrypted, the broker's public key known to the nodes), and
 *   the broker's ZAP handler admits only the client keys provisioning wrote (broker-client-keys.json);
 * - a connection's routing id is bound to its key by the HELLO proof: HMAC-SHA256 over the routing
 *   id, keyed with the X25519 secret the node's key shares with the broker's. A routing id whose
 *   HELLO does not prove the key provisioned for it is refused and counted (`unauthenticated`).
 *
 * Keys are Z85 text, as zmq.curveKeyPair() makes them.
 */
export interface CurveKeys {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** The broker's side: its key pair and each node's public key. */
export interface BrokerAuth {
  readonly keys: CurveKeys;
  readonly clients: ReadonlyMap<NodeId, string>;
}

/** A node's side: its key pair and the broker's public key. */
export interface NodeAuth {
  readonly keys: CurveKeys;
  readonly brokerPublicKey: string;
}

export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_VALUE = new Map([...Z85].map((c, i) => [c, i]));

/** Z85 text (ZeroMQ RFC 32) to bytes; undefined when it is not Z85 of a 32-byte key. */
export function z85Key(text: string): Uint8Array | undefined {
  if (text.length !== 40) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = Z85_VALUE.get(text[i * 5 + j]!);
      if (digit === undefined) return undefined;
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) return undefined;
    out[i * 4] = value >>> 24;
    out[i * 4 + 1] = (value >>> 16) & 0xff;
    out[i * 4 + 2] = (value >>> 8) & 0xff;
    out[i * 4 + 3] = value & 0xff;
  }
  return out;
}

const PROOF_LABEL = 'gridbench hello proof v1\0';
export const PROOF_BYTES = 32;

function proofWith(secret: string, peerPublic: string, node: NodeId): Buffer {
  const sk = z85Key(secret);
  const pk = z85Key(peerPublic);
  if (!sk || !pk) throw new AuthConfigError('curve key: expected 40 characters of Z85');
  return createHmac('sha256', x25519.getSharedSecret(sk, pk))
    .update(PROOF_LABEL + node, 'latin1')
    .digest();
}

/** The proof a node's HELLO carries that it holds the key provisioned for its routing id. */
export const helloProof = (node: NodeId, auth: NodeAuth): Buffer => proofWith(auth.keys.secretKey, auth.brokerPublicKey, node);

/** Whether `proof` proves `node`'s provisioned key; false for a node without one. */
export function verifyHello(node: NodeId, proof: Uint8Array, auth: BrokerAuth): boolean {
  const client = auth.clients.get(node);
  if (!client || proof.length !== PROOF_BYTES) return false;
  return timingSafeEqual(proofWith(auth.keys.secretKey, client, node), proof);
}

/** Socket options of the broker's ROUTER with authentication on. */
export const serverCurve = (auth: BrokerAuth) => ({ curveServer: true, curveSecretKey: auth.keys.secretKey });

/** Socket options of a node's DEALER with authentication on. */
export const clientCurve = (auth: NodeAuth) => ({
  curveServerKey: auth.brokerPublicKey,
  curvePublicKey: auth.keys.publicKey,
  curveSecretKey: auth.keys.secretKey,
});

/**
 * The ZAP handler (ZeroMQ RFC 27) of a context: admits a CURVE client whose key provisioning wrote,
 * refuses any other during the handshake. The context must be the broker's own (one handler per context).
 */
export async function startZap(context: zmq.Context, auth: BrokerAuth): Promise<{ close(): Promise<void> }> {
  const known = new Set(auth.clients.values());
  const zap = new zmq.Reply({ context, linger: 0 });
  await zap.bind('inproc://zeromq.zap.01');
  const serving = (async () => {
    try {
      for await (const [version, requestId, , , , mechanism, key] of zap) {
        const ok = mechanism?.toString() === 'CURVE' && key?.length === 32 && known.has(z85Encode(key));
        await zap.send([version ?? '1.0', requestId ?? '', ok ? '200' : '400', ok ? 'OK' : 'unknown client key', '', '']);
      }
    } catch {
      // The socket was closed under the loop.
    }
  })();
  return {
    async close() {
      zap.close();
      await serving;
    },
  };
}

/** Bytes to Z85 text (length a multiple of 4). */
export function z85Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const chunk: string[] = [];
    for (let j = 0; j < 5; j++) {
      chunk.unshift(Z85[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/* Files, under a state directory's channel/ folder:
 *   broker.key.json             {publicKey, secretKey}       the broker's host only
 *   broker-client-keys.json     {nodeId: publicKey}          the broker's host only
 *   attack.token                the broker's attack port token (attack-port.ts): the broker's host
 *                               only; in the operator's state for gridbench campaign
 *   broker.pub                  the broker's public key      every host
 *   nodes/<node>.key.json       {publicKey, secretKey}       the host running that node only */
export const channelKeyDir = (stateDir: string): string => join(stateDir, 'channel');

/** A JSON file of keys; a missing or broken one is an AuthConfigError naming it. */
export function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new AuthConfigError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The key pair of `file`, or an AuthConfigError naming it. */
export const checkKeys = (keys: CurveKeys, file: string): CurveKeys => {
  if (!z85Key(keys?.publicKey ?? '') || !z85Key(keys?.secretKey ?? ''))
    throw new AuthConfigError(`${file}: expected {"publicKey", "secretKey"} of 40 Z85 characters each`);
  return { publicKey: keys.publicKey, secretKey: keys.secretKey };
};

/**
 * Writes a key file: JSON, readable by its owner only unless `secret` is false (a public key).
 * It replaces the file, never writing through a link (core/replace-file.ts): provisioning writes
 * into the shares of hosts that may be compromised.
 */
export const writeKeyFile = (file: string, value: unknown, secret = true): void =>
  replaceFile(file, typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`, { secret });

/** Creates the broker's keys and one key pair per node (keeps those that exist: provisioning runs again). */
export function provisionChannelKeys(stateDir: string, nodes: readonly NodeId[]): void {
  const dir = channelKeyDir(stateDir);
  mkdirSync(join(dir, 'nodes'), { recursive: true, mode: 0o700 });
  const brokerFile = join(dir, 'broker.key.json');
  if (!existsSync(brokerFile)) writeKeyFile(brokerFile, zmq.curveKeyPair());
  const broker = checkKeys(readJson<CurveKeys>(brokerFile), brokerFile);
  writeKeyFile(join(dir, 'broker.pub'), broker.publicKey, false);
  const clients: Record<NodeId, string> = {};
  for (const node of nodes) {
    const file = join(dir, 'nodes', `${node}.key.json`);
    if (!existsSync(file)) writeKeyFile(file, zmq.curveKeyPair());
    clients[node] = checkKeys(readJson<CurveKeys>(file), file).publicKey;
  }
  writeKeyFile(join(dir, 'broker-client-keys.json'), clients);
  const token = join(dir, ATTACK_TOKEN);
  if (!existsSync(token)) writeKeyFile(token, randomBytes(24).toString('hex'));
}

const ATTACK_TOKEN = 'attack.token';

/**
 * The attack port token provisioning made in a state directory: the broker's share (its config's
 * attack section without a token of its own) or the operator's state (gridbench campaign --state).
 */
export function loadAttackToken(stateDir: string): string {
  const file = join(channelKeyDir(stateDir), ATTACK_TOKEN);
  if (!existsSync(file)) throw new AuthConfigError(`${file}: missing (provision the state with gridbench provision)`);
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new AuthConfigError(`${file}: expected a token of at least 16 characters`);
  return token;
}

/** Copies to hostDir the broker's public key and the key pairs of `nodes` (and the broker's own keys when `broker`). */
export function exportChannelKeys(stateDir: string, hostDir: string, nodes: Iterable<NodeId>, broker = false): void {
  const from = channelKeyDir(stateDir);
  const to = channelKeyDir(hostDir);
  if (!existsSync(join(from, 'broker.pub')))
    throw new AuthConfigError(`${join(from, 'broker.pub')}: missing (run gridbench provision first)`);
  mkdirSync(join(to, 'nodes'), { recursive: true, mode: 0o700 });
  replaceFile(join(to, 'broker.pub'), readFileSync(join(from, 'broker.pub')));
  for (const node of nodes) writeKeyFile(join(to, 'nodes', `${node}.key.json`), readJson(join(from, 'nodes', `${node}.key.json`)));
  if (!broker) return;
  for (const file of ['broker.key.json', 'broker-client-keys.json']) writeKeyFile(join(to, file), readJson(join(from, file)));
  writeKeyFile(join(to, ATTACK_TOKEN), loadAttackToken(stateDir));
}

/** Whether a state directory holds channel keys (provisioned by a gridbench that knows them). */
export const hasChannelKeys = (stateDir: string): boolean => existsSync(join(channelKeyDir(stateDir), 'broker.pub'));

/** The broker's keys and its client list from a state directory (or a directory holding its channel/ folder). */
export function loadBrokerAuth(stateDir: string): BrokerAuth {
  const dir = channelKeyDir(stateDir);
  const keysFile = join(dir, 'broker.key.json');
  const clientsFile = join(dir, 'broker-client-keys.json');
  const keys = checkKeys(readJson<CurveKeys>(keysFile), keysFile);
  const clients = readJson<Record<string, string>>(clientsFile);
  for (const [node, key] of Object.entries(clients ?? {}))
    if (typeof key !== 'string' || !z85Key(key))
      throw new AuthConfigError(`${clientsFile}: ${node}: expected a public key of 40 Z85 characters`);
  return { keys, clients: new Map(Object.entries(clients)) };
}

/** A node's keys and the broker's public key from its host's state directory. */
export function loadNodeAuth(stateDir: string, node: NodeId): NodeAuth {
  const dir = channelKeyDir(stateDir);
  const file = join(dir, 'nodes', `${node}.key.json`);
  const brokerPublicKey = (() => {
    try {
      return readFileSync(join(dir, 'broker.pub'), 'utf8').trim();
    } catch (err) {
      throw new AuthConfigError(`${join(dir, 'broker.pub')}: ${err instanceof Error ? err.message : String(err)}`);
    }
  })();
  if (!z85Key(brokerPublicKey)) throw new AuthConfigError(`${join(dir, 'broker.pub')}: expected 40 Z85 characters`);
  return { keys: checkKeys(readJson<CurveKeys>(file), file), brokerPublicKey };
}
