/**
 * The keys of the operator channel (operator-channel.ts): the campaign process, the operator,
 * orders node operations from a lab's hosts over a ZeroMQ CURVE socket per host. They are made by
 * provisioning beside the broker's (channel/broker-auth.ts), Z85 key pairs as zmq.curveKeyPair()
 * makes them, under a state directory's channel/ folder:
 *   operator.key.json          {publicKey, secretKey}   the operator's state only
 *   hosts/<host>.key.json      {publicKey}              the operator's state: the host's public key
 *   operator.pub               the operator's public key          every node host
 *   operator-host.key.json     that host's key pair               the node host it was made for
 * The broker's share holds none of them: the broker is the attacker's position (docs/DESIGN.md),
 * and without the operator's secret key it cannot order an operation. A host's secret key lives
 * in its share only (the operator needs its public key alone); handed its share again, a host
 * keeps its pair while it still matches the public key the operator holds, and gets a new one
 * otherwise. Key files are replaced, never written through a link (writeKeyFile).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { AuthConfigError, channelKeyDir, checkKeys, readJson, writeKeyFile, z85Key, type CurveKeys } from '../../channel/broker-auth';
import { replaceFile } from '../../core/replace-file';
import { hostDirName } from './node-selection';

const OPERATOR_KEY = 'operator.key.json';
const OPERATOR_PUB = 'operator.pub';
const HOST_KEY = 'operator-host.key.json';
const hostKeyFile = (stateDir: string, selection: string) => join(channelKeyDir(stateDir), 'hosts', `${hostDirName(selection)}.key.json`);

/** The keys of a node host's side of the channel: its own pair and the operator's public key. */
export interface HostOperatorKeys {
  readonly keys: CurveKeys;
  readonly operatorPublicKey: string;
}

/** Creates the operator's key pair in the operator's state (keeps it when provisioning runs again). */
export function provisionOperatorKey(stateDir: string): void {
  const dir = channelKeyDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, OPERATOR_KEY);
  if (!existsSync(file)) writeKeyFile(file, zmq.curveKeyPair());
  writeKeyFile(join(dir, OPERATOR_PUB), checkKeys(readJson<CurveKeys>(file), file).publicKey, false);
}

/**
 * Hands the host running `selection` its key pair and the operator's public key; the operator's
 * state keeps the host's public key only. The host's pair is kept when its share still holds the
 * one whose public key the operator has, else made anew (a first share, or a pair changed or
 * broken in the host's share).
 */
export function exportOperatorKeys(stateDir: string, hostDir: string, selection: string): void {
  const from = channelKeyDir(stateDir);
  const pub = join(from, OPERATOR_PUB);
  if (!existsSync(pub)) throw new AuthConfigError(`${pub}: missing (run gridbench provision first)`);
  const file = hostKeyFile(stateDir, selection);
  mkdirSync(join(from, 'hosts'), { recursive: true, mode: 0o700 });
  const to = channelKeyDir(hostDir);
  mkdirSync(to, { recursive: true, mode: 0o700 });
  replaceFile(join(to, OPERATOR_PUB), readFileSync(pub));
  const known = existsSync(file) ? publicKeyIn(file) : undefined;
  const share = join(to, HOST_KEY);
  let held: CurveKeys | undefined;
  try {
    held = existsSync(share) ? checkKeys(readJson<CurveKeys>(share), share) : undefined;
  } catch {
    // a broken pair in the host's share: it gets a new one
  }
  // a state from before the hosts' secrets left it holds {publicKey, secretKey}: rewritten public only
  if (held !== undefined && held.publicKey === known) return writeKeyFile(file, { publicKey: known }, false);
  const keys = zmq.curveKeyPair();
  writeKeyFile(share, keys);
  writeKeyFile(file, { publicKey: keys.publicKey }, false);
}

/** The public key of a key file, or an AuthConfigError naming it. */
function publicKeyIn(file: string): string {
  const { publicKey } = readJson<Partial<CurveKeys>>(file);
  if (typeof publicKey !== 'string' || !z85Key(publicKey))
    throw new AuthConfigError(`${file}: expected {"publicKey"} of 40 Z85 characters`);
  return publicKey;
}

/** A node host's keys from its state directory (gridbench node --operator). */
export function loadHostOperatorKeys(hostDir: string): HostOperatorKeys {
  const dir = channelKeyDir(hostDir);
  const file = join(dir, HOST_KEY);
  const pub = join(dir, OPERATOR_PUB);
  if (!existsSync(file) || !existsSync(pub))
    throw new AuthConfigError(
      `${hostDir} holds no operator channel keys (${file}, ${pub}): hand the host its state with gridbench provision --host SELECTION=${hostDir}`,
    );
  const operatorPublicKey = readFileSync(pub, 'utf8').trim();
  if (!z85Key(operatorPublicKey)) throw new AuthConfigError(`${pub}: expected 40 Z85 characters`);
  return { keys: checkKeys(readJson<CurveKeys>(file), file), operatorPublicKey };
}

/** The operator's key pair, and the public key of the host that runs `selection`, from the operator's state (gridbench campaign --state). */
export function loadOperatorKeys(stateDir: string, selection: string): { keys: CurveKeys; hostPublicKey: string } {
  const file = join(channelKeyDir(stateDir), OPERATOR_KEY);
  if (!existsSync(file))
    throw new AuthConfigError(`${file}: missing; --state is the operator's state directory, made by gridbench provision --state DIR`);
  const host = hostKeyFile(stateDir, selection);
  if (!existsSync(host))
    throw new AuthConfigError(
      `${host}: missing; no host running ${selection} was handed its state from ${stateDir} (gridbench provision --host ${selection}=DIR)`,
    );
  return { keys: checkKeys(readJson<CurveKeys>(file), file), hostPublicKey: publicKeyIn(host) };
}
