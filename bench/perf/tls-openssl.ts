/**
 * The TLS baseline held against real OpenSSL: the same certificates and the same path, once
 * through smgw-tls mode on the virtual clock and once with `openssl s_server` / `s_client` (kernel
 * TCP) through the channel's TCP bridges on the real clock. The fidelity test
 * (test/fidelity/tls-baseline.test.ts) and perf:tls both use it.
 *
 * The real path of a TN: s_client -> bridge (TN to DC on the PLC segment) -> bridge (DC to HES on
 * the WAN) -> s_server. `openssl s_server` serves one connection at a time, so every TN of a storm
 * has its own server and its own pair of bridges; all of them share the broker's links, so a
 * storm's handshakes share the segment as the bench's do. The profile both sides run is the one of
 * nodes/smgw-tls/tls-profile.ts: TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256, P-256, ECDSA+SHA256,
 * mutual authentication, no session tickets from the server; chains without the root unless asked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../channel/broker';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { PRESETS, type PresetName } from '../../channel/presets';
import type { ProfileSpec } from '../../channel/profile';
import { startTcpBridge, type TcpBridge } from '../../channel/tcp-bridge';
import { VirtualClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import { Topology, type LinkId } from '../../core/topology';
import { createMode } from '../../nodes/modes';
import { peekClassName } from '../../nodes/protocol/message-class';
import { createPki, type PkiAuthority } from '../../nodes/smgw-tls/pki';
import { decodeTlsFrame } from '../../nodes/smgw-tls/tls-frame';
import type { TlsModeOptions } from '../../nodes/smgw-tls/tls-config';
import { TLS_CIPHER } from '../../nodes/smgw-tls/tls-profile';

export interface BaselinePath {
  readonly plc: PresetName;
  readonly wan: PresetName;
}

/** G3-PLC CENELEC-A and DSL without loss: the bridge on main carries loss-free paths faithfully. */
export const FIDELITY_PATH: BaselinePath = { plc: 'g3-plc-cenelec-a', wan: 'dsl' };

export interface HandshakeRun {
  /** Each TN's handshake, ClientHello on the wire to the client's handshake done, ms. */
  readonly durationsMs: readonly number[];
  /** TLS bytes of one handshake, both ways (no framing below TLS), the first TN's. */
  readonly tlsBytes: number;
  /** Real OpenSSL only: of tlsBytes, those from the client to the server. */
  readonly tlsBytesUp?: number;
  /** First handshake's start to the last one's end, ms. */
  readonly spanMs: number;
  /** Bench only: byte-times on the segment of the first TN's handshake, PHY overhead included (the storm bound's S). */
  readonly phyBytes?: number;
}

const profileFor =
  (path: BaselinePath) =>
  (link: LinkId): ProfileSpec => ({ preset: link.kind === 'plc' ? path.plc : path.wan, loss: { model: 'bernoulli', p: 0 } });

/** A PKI for a one-DC topology of `tns` TNs: both sides use it. */
export function baselinePki(tns: number): { topology: Topology; pki: PkiAuthority } {
  const topology = Topology.build(1, tns);
  return { topology, pki: createPki({ hes: topology.hes, tns: topology.tns }) };
}

/** smgw-tls mode, virtual clock: every TN of the topology connects at once (one handshake when alone). */
export async function benchHandshakes(
  topology: Topology,
  pki: PkiAuthority,
  path: BaselinePath,
  options: Pick<TlsModeOptions, 'chainWithRoot' | 'reliable'>,
  seed = '1',
): Promise<HandshakeRun> {
  const clock = new VirtualClock();
  const random = new Random(seed);
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    profileFor: profileFor(path),
  });
  const first = topology.tns[0]!;
  const tls: Array<{ time: number; bytes: number }> = [];
  network.control.tap((event) => {
    if (event.kind !== 'plc') return;
    const frame = decodeTlsFrame(event.bytes);
    if (frame.ok && frame.value.tn === first) tls.push({ time: event.time, bytes: frame.value.payload.length });
  });
  const plc = PRESETS[path.plc];
  const mode = createMode('smgw-tls', {
    clock,
    network,
    topology,
    random,
    metrics: NO_METRICS,
    plc: () => plc,
    options: { ...options, pki },
  });
  try {
    await clock.drive(mode.bootstrap());
    const handshakes = mode.handshakes();
    const own = handshakes.find((h) => h.tn === first)!;
    return {
      durationsMs: handshakes.map((h) => h.finishedAt - h.startedAt),
      tlsBytes: tls.filter((t) => t.time <= own.finishedAt).reduce((sum, t) => sum + t.bytes, 0),
      spanMs: Math.max(...handshakes.map((h) => h.finishedAt)) - Math.min(...handshakes.map((h) => h.startedAt)),
      phyBytes: own.cleanPhyBytes,
    };
  } finally {
    await mode.close();
    await network.close();
  }
}

const OPENSSL_PROFILE = ['-tls1_2', '-cipher', TLS_CIPHER, '-sigalgs', 'ECDSA+SHA256', '-groups', 'prime256v1'];
/** The trust store holds the root only for verification: chains are built from an empty store unless asked. */
const trust = (dir: string, chainWithRoot: boolean): string[] =>
  chainWithRoot
    ? ['-CAfile', join(dir, 'root.pem'), '-no-CApath', '-no-CAstore']
    : ['-verifyCAfile', join(dir, 'root.pem'), '-no-CAfile', '-no-CApath', '-no-CAstore'];

/** Resolves with the first stdout+stderr text matching `pattern` (rejects when the process ends first). */
export function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const look = (chunk: Buffer): void => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        child.stdout?.off('data', look);
        child.stderr?.off('data', look);
        resolve(match);
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`${what} ended (exit ${code}) before "${pattern.source}": ${text.slice(-400)}`)));
    child.once('error', (err) => reject(new Error(`${what}: ${err.message}`)));
  });
}

export interface OpensslHooks {
  /** Called once every bridge listens, before any client connects, with each TN's PLC bridge port (a tap such as tcpdump starts here). */
  readonly beforeClients?: (plcPorts: readonly number[]) => Promise<void>;
}

/**
 * Real OpenSSL through the TCP bridges, real clock: every TN of the topology connects at once.
 * Needs the `openssl` command.
 */
export async function opensslHandshakes(
  topology: Topology,
  pki: PkiAuthority,
  path: BaselinePath,
  chainWithRoot: boolean,
  seed = '1',
  hooks: OpensslHooks = {},
): Promise<HandshakeRun> {
  const dir = mkdtempSync(join(tmpdir(), 'gridbench-openssl-'));
  const children: ChildProcess[] = [];
  const bridges: TcpBridge[] = [];
  const broker = await startBroker({
    topology,
    random: new Random(seed),
    classify: peekClassName,
    endpoint: 'tcp://127.0.0.1:0',
    profileFor: profileFor(path),
  });
  try {
    writeFileSync(join(dir, 'root.pem'), pki.rootPem);
    const hes = pki.hesCredential();
    writeFileSync(join(dir, 'hes.pem'), hes.certPem);
    writeFileSync(join(dir, 'hes.key'), hes.keyPem, { mode: 0o600 });
    const dc = topology.dcs[0]!.id;
    const started = new Map<string, number>();
    const bytes = new Map<string, number>();
    // The handshake starts with the ClientHello (a TLS handshake record, 0x16) on the segment: the
    // bridge's SYN round trip before it is TCP's set-up, which the bench's stream does not model.
    broker.control.tap((event) => {
      if (event.kind === 'plc' && event.direction === 'up' && event.bytes[0] === 0x16 && !started.has(event.from))
        started.set(event.from, performance.now());
    });
    const clients = await Promise.all(
      topology.tns.map(async (tn) => {
        const credential = pki.tn(tn);
        writeFileSync(join(dir, `${tn}.pem`), credential.certPem);
        writeFileSync(join(dir, `${tn}.key`), credential.keyPem, { mode: 0o600 });
        const server = spawn(
          'openssl',
          ['s_server', '-accept', '0', '-naccept', '1', '-cert', join(dir, 'hes.pem'), '-key', join(dir, 'hes.key')].concat(
            trust(dir, chainWithRoot),
            ['-Verify', '1', '-no_ticket'],
            OPENSSL_PROFILE,
          ),
          { stdio: ['pipe', 'pipe', 'pipe'] },
        );
        children.push(server);
        const port = Number((await waitFor(server, /ACCEPT .*:(\d+)/, `s_server for ${tn}`))[1]);
        const wan = await startTcpBridge({
          channel: broker.channel,
          listen: { host: '127.0.0.1', port: 0 },
          upstream: { host: '127.0.0.1', port },
          client: dc,
          server: topology.hes,
        });
        const plc = await startTcpBridge({
          channel: broker.channel,
          listen: { host: '127.0.0.1', port: 0 },
          upstream: { host: '127.0.0.1', port: wan.port },
          client: tn,
          server: dc,
        });
        bridges.push(wan, plc);
        return { tn, plc, server };
      }),
    );
    await hooks.beforeClients?.(clients.map((c) => c.plc.port));
    const ended = new Map<string, number>();
    const bytesUp = new Map<string, number>();
    await Promise.all(
      clients.map(async ({ tn, plc }) => {
        const client = spawn(
          'openssl',
          ['s_client', '-brief', '-connect', `127.0.0.1:${plc.port}`, '-servername', topology.hes]
            .concat(['-cert', join(dir, `${tn}.pem`), '-key', join(dir, `${tn}.key`)], trust(dir, chainWithRoot))
            .concat(['-verify_return_error'], OPENSSL_PROFILE),
          { stdio: ['pipe', 'pipe', 'pipe'] },
        );
        children.push(client);
        await waitFor(client, /Verification: OK[\s\S]*Server Temp Key/, `s_client of ${tn}`);
        ended.set(tn, performance.now());
        bytes.set(tn, plc.stats.bytesUp + plc.stats.bytesDown);
        bytesUp.set(tn, plc.stats.bytesUp);
      }),
    );
    const durationsMs = topology.tns.map((tn) => ended.get(tn)! - started.get(tn)!);
    return {
      durationsMs,
      tlsBytes: bytes.get(topology.tns[0]!)!,
      tlsBytesUp: bytesUp.get(topology.tns[0]!)!,
      spanMs: Math.max(...ended.values()) - Math.min(...started.values()),
    };
  } finally {
    for (const child of children) child.kill();
    for (const bridge of bridges) await bridge.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
