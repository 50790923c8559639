/**
 * Lean mode on a topology: one HES, the DCs and their TNs built on a network, provisioned the way
 * docs/DESIGN.md 2.1 describes (node keys made at production, their fingerprints on the HES's
 * allow-list, the manufacturer certifying the HES), and driven through the BenchMode contract
 * (nodes/mode.ts). Built by the registry (nodes/modes.ts, entry in ./definition.ts).
 */
import { finishWithin, untilDone } from '../../core/clock-wait';
import { toHex } from '../../core/bytes';
import { phyBytes, stormBoundS } from '../../core/phy';
import type { Metrics } from '../../core/metrics';
import type { NodeId } from '../../core/transport';
import type { CryptoBackend } from '../crypto/backend';
import type {
  AutomationReport,
  BenchMode,
  BootstrapReport,
  FirmwareImage,
  FirmwareReport,
  MeterRoundReport,
  ModeContext,
  ModeStats,
  RelayCommand,
  StormReport,
} from '../mode';
import { MANUFACTURER_ID } from '../oracle/goal-oracle';
import { RefusalTally } from '../refusal-tally';
import type { NodeStore } from '../store/node-store';
import { AllowList, type AllowListEntry } from './allow-list';
import { RepeatWindow, type BroadcastRepeats } from './broadcast-repeats';
import { Dc } from './dc';
import { Hes, provisionHes } from './hes';
import { keyFingerprint, loadOrCreateIdentity, type Identity } from './identity';
import { CertificateCache } from './cert-chain';
import { Manufacturer } from './manufacturer';
import { DEFAULT_RETRY, type LeanNodeDeps, type RetryPolicy } from './node-deps';
import { Tn } from './tn';

/** Lean mode's own options (ModeContext.options). */
export interface LeanOptions {
  /** The manufacturer (signs firmware); by default one made for this run. */
  readonly manufacturer?: Manufacturer;
  /**
   * Distributed benches: the allow-list and the manufacturer's public key as provisioned. A
   * process given these loads only its own nodes' keys (and the manufacturer's secret only where
   * `manufacturer` is given, the HES's process), so a compromised DC process holds the DC's keys
   * and nothing more. Stores must then be the provisioned files.
   */
  readonly provisioned?: LeanProvisioned;
  /** Registration retry timers (frames lost on the PLC, or the other side not up yet). */
  readonly retry?: RetryPolicy;
  /** The firmware carousel: passes over the image and the pause between chunks. */
  readonly firmware?: { readonly passes: number; readonly chunkIntervalMs: number };
  /** Automation broadcasts repeated by their DC, deduplicated by the TNs (./broadcast-repeats.ts); none by default. */
  readonly automation?: BroadcastRepeats | undefined;
}

/** The public part of lean provisioning: who may enrol with which keys, and the manufacturer's key. */
export interface LeanProvisioned {
  readonly allowList: AllowList;
  readonly manufacturerKey: Uint8Array;
}

/**
 * Three carousel passes: with 2% independent loss per broadcast chunk, a TN misses some chunk of a
 * 42-chunk (8 KiB) image in one pass with probability 57%, in all three with about 0.03%.
 */
const FIRMWARE_DEFAULTS = { passes: 3, chunkIntervalMs: 150 };

/**
 * A TN's registration (its ids, two P-256 public keys, a nonce, a signature: 161 bytes for
 * "tn1.0001" of "dc1") and its DC's answer (the HES and DC certificates, the HES's acknowledgement,
 * the DC's counter anchor: 571 bytes), for the enrolment spread; ids of other lengths differ by a
 * few bytes, which does not matter to a spread.
 */
const REGISTRATION_BYTES = 160;
const ENROLMENT_ANSWER_BYTES = 570;

export class LeanMode implements BenchMode {
  readonly name = 'lean' as const;
  private readonly manufacturerRoot: Manufacturer | undefined;
  private readonly manufacturerKey: Uint8Array;
  private readonly hesNode: Hes | undefined;
  readonly dcs = new Map<NodeId, Dc>();
  readonly tns = new Map<NodeId, Tn>();
  private readonly identities = new Map<NodeId, Identity>();

  /** Who may enrol, with the fingerprints provisioned out of band. */
  readonly allowList: AllowList;
  private readonly generation = new Map<NodeId, number>();
  private readonly stores = new Map<string, NodeStore>();
  private readonly refusals = new RefusalTally();
  private readonly metrics: Metrics;
  private readonly installs = new Set<(version: number) => void>();
  private readonly segmentRetry = new Map<NodeId, RetryPolicy>();
  /** The HES and DC certificates the TNs hold, decoded once (./cert-chain.ts). */
  private readonly certificates = new CertificateCache();
  /** Every TN's install hook: one function for all (a million TNs, issue 13). */
  private readonly installed = (version: number): void => {
    for (const listener of [...this.installs]) listener(version);
  };
  private closing: Promise<void> | undefined;
  /** What waits on the nodes (a rollout) ends when the mode closes, its timer with it. */
  private readonly closed = new AbortController();

  constructor(private readonly ctx: ModeContext<LeanOptions>) {
    const { topology, crypto, local, options } = ctx;
    const { provisioned } = options;
    this.metrics = this.refusals.counting(ctx.metrics);
    this.manufacturerRoot = options.manufacturer ?? (provisioned ? undefined : Manufacturer.create(crypto.hes));
    this.manufacturerKey = this.manufacturerRoot?.publicKey ?? provisioned!.manufacturerKey;
    if (provisioned) {
      // provisioned elsewhere: load the keys of this process's nodes only (and open no other node's store)
      this.allowList = provisioned.allowList;
      if (local(topology.hes)) this.provision(topology.hes, crypto.hes);
      for (const { id: dc, tns } of topology.dcs) {
        if (local(dc)) this.provision(dc, crypto.dc);
        for (const tn of tns) if (local(tn)) this.provision(tn, crypto.tn);
      }
    } else {
      this.allowList = new AllowList();
      provisionHes(this.storeOf(topology.hes), { crypto: crypto.hes, id: topology.hes }, this.manufacturerRoot!);
      this.provision(topology.hes, crypto.hes);
      for (const { id: dc, tns } of topology.dcs) {
        this.allowList.expect(dc, { role: 'dc', fingerprint: this.provision(dc, crypto.dc) });
        for (const tn of tns) this.allowList.expect(tn, { role: 'tn', dc, fingerprint: this.provision(tn, crypto.tn) });
      }
    }
    if (local(topology.hes)) {
      this.hesNode = Hes.create(this.depsOf(topology.hes, crypto.hes, this.metrics), {
        allowList: this.allowList,
        dcs: topology.dcs.map((d) => d.id),
      });
    }
    for (const { id: dc, tns } of topology.dcs) {
      if (local(dc)) this.dcs.set(dc, this.createDc(dc));
      for (const tn of tns) if (local(tn)) this.tns.set(tn, this.createTn(tn, dc));
    }
  }

  get manufacturerPublicKey(): Uint8Array {
    return this.manufacturerKey;
  }

  /** The HES; only in the process that runs it. */
  get hes(): Hes {
    if (!this.hesNode) throw new Error('lean mode: the HES does not run in this process');
    return this.hesNode;
  }

  /**
   * Replaces a node by a new unit, as an operator does with a failed one (docs/DESIGN.md 2.1: no
   * revocation, the replacement registers anew): new keys in a fresh store, the allow-list
   * updated out of band with their fingerprint, then the new unit bootstraps. A DC's TNs enrol
   * again to learn the new DC certificate: those this process runs, since a TN in another process
   * is not told and keeps the old chain. Resolves when the new unit (and those TNs) enrolled.
   */
  async replace(node: NodeId): Promise<void> {
    const { topology, crypto } = this.ctx;
    const role = topology.roleOf(node);
    if (role !== 'dc' && role !== 'tn') throw new Error(`lean mode: only DCs and TNs can be replaced, not "${node}"`);
    // the HES takes the new unit's fingerprint from this process's allow-list, or from the operator
    const { operator } = this.ctx;
    if (!(role === 'dc' ? this.dcs : this.tns).has(node) || (!this.hesNode && !operator))
      throw new Error(`lean mode: replacing ${node} needs ${node} and the HES in this process`);
    this.generation.set(node, (this.generation.get(node) ?? 0) + 1);
    // the operator registers the new unit's fingerprint out of band before it is installed
    const dc = role === 'dc' ? node : topology.dcOf(node)!;
    const fingerprint = this.provision(node, role === 'dc' ? crypto.dc : crypto.tn);
    const entry: AllowListEntry = role === 'dc' ? { role, fingerprint } : { role, dc, fingerprint };
    this.allowList.expect(node, entry);
    if (!this.hesNode) await operator!.register(node, entry);
    if (role === 'dc') {
      await this.dcs.get(node)!.close();
      this.ctx.observer?.replaced(node);
      const unit = this.createDc(node);
      this.dcs.set(node, unit);
      await unit.bootstrap();
      await Promise.all(topology.tnsOf(node).flatMap((tn) => this.tns.get(tn)?.reenrol() ?? []));
    } else {
      await this.tns.get(node)!.close();
      this.ctx.observer?.replaced(node);
      const unit = this.createTn(node, dc);
      this.tns.set(node, unit);
      await unit.bootstrap();
    }
  }

  /** The HES's side of a replacement registered from another process (ModeContext.operator). */
  admit(node: NodeId, credential: unknown): void {
    if (!this.hesNode) throw new Error(`lean mode: admitting ${node} needs the HES in this process`);
    this.allowList.expect(node, credential as AllowListEntry);
  }

  /** This process's TNs of a segment enrol again (their DC was replaced in another process). */
  async reenrol(dc: NodeId): Promise<void> {
    await Promise.all(this.ctx.topology.tnsOf(dc).flatMap((tn) => this.tns.get(tn)?.reenrol() ?? []));
  }

  /** A node's keys, as an attacker who compromised it would hold them (campaigns use this). */
  keysOf(node: NodeId): Identity {
    const identity = this.identities.get(node);
    if (!identity) throw new Error(`lean mode: no node "${node}"`);
    return identity;
  }

  async bootstrap(): Promise<BootstrapReport> {
    const { clock } = this.ctx;
    const startedAt = clock.now();
    const deadline = this.ctx.bootstrapTimeoutMs ?? 20 * (this.ctx.options.retry ?? DEFAULT_RETRY).maxMs;
    await finishWithin(clock, deadline, Promise.all([...this.dcs.values()].map((dc) => dc.bootstrap())));
    const remaining = deadline - (clock.now() - startedAt);
    await finishWithin(clock, remaining, Promise.all([...this.tns.values()].map((tn) => tn.bootstrap())));
    const failed = [...this.dcs, ...this.tns].filter(([, node]) => !node.enrolled).map(([id]) => id);
    const enrolled = (nodes: Map<NodeId, Dc | Tn>) => [...nodes.values()].filter((n) => n.enrolled).length;
    return { enrolled: enrolled(this.tns), dcsEnrolled: enrolled(this.dcs), failed, durationMs: clock.now() - startedAt };
  }

  meterRound(timeoutMs: number): Promise<MeterRoundReport> {
    return this.hes.meterRound(timeoutMs);
  }

  /** A lean DC signs and broadcasts its segment's commands itself. */
  automationIssuer(dc: NodeId): NodeId {
    return dc;
  }

  automation(dc: NodeId, command: RelayCommand): AutomationReport {
    const node = this.dcs.get(dc);
    if (!node) throw new Error(`lean mode: no DC "${dc}"`);
    const issued = node.automation(command.relay === 'on' ? 1 : 0);
    // every copy of a repeated broadcast is on the segment
    return {
      issuedAt: issued.issuedAt,
      addressed: this.ctx.topology.tnsOf(dc).length,
      segmentBytes: issued.frame.length * issued.copies,
    };
  }

  confidential(tn: NodeId, payload: Uint8Array): void {
    this.hes.sendConfidential(tn, payload);
  }

  /**
   * Signs the image as the manufacturer and has the HES broadcast it; resolves when the last TN of
   * this process installs it (each TN reports its install as it happens) or at the timeout.
   */
  async firmware(image: FirmwareImage, timeoutMs: number): Promise<FirmwareReport> {
    const { clock, observer } = this.ctx;
    const startedAt = clock.now();
    const signed = this.hes.signFirmware(image.version, image.image);
    observer?.sent(MANUFACTURER_ID, signed.manifestSigned);
    const outdated = () => [...this.tns].filter(([, tn]) => tn.firmwareVersion < image.version).map(([id]) => id);
    let lastInstallAt = startedAt;
    const all = untilDone(
      clock,
      (check) => {
        const listener = (version: number) => {
          if (version === image.version) lastInstallAt = clock.now();
          check();
        };
        this.installs.add(listener);
        return () => this.installs.delete(listener);
      },
      () => outdated().length === 0,
      timeoutMs,
      this.closed.signal,
    );
    void this.hes.distributeFirmware(signed, this.ctx.options.firmware ?? FIRMWARE_DEFAULTS);
    const inTime = await all;
    const missing = outdated();
    return {
      version: image.version,
      installed: this.tns.size - missing.length,
      missing,
      durationMs: (inTime ? lastInstallAt : clock.now()) - startedAt,
    };
  }

  /**
   * A power cut and restoration on a segment. Lean TNs keep keys, certificates and counters on
   * disk and need no session: they lose what they held in memory, and nothing goes on the wire,
   * which is the contrast with smgw-tls. No storm.
   */
  async powerRestored(dc: NodeId): Promise<StormReport | undefined> {
    if (this.ctx.topology.roleOf(dc) !== 'dc') throw new Error(`lean mode: "${dc}" is not a DC (segment) of the topology`);
    for (const tn of this.ctx.topology.tnsOf(dc)) this.tns.get(tn)?.powerRestored();
    return undefined;
  }

  stats(): ModeStats {
    return {
      channelsUp: [...this.tns.values()].filter((tn) => tn.enrolled).length,
      handshakes: 0,
      failedHandshakes: 0,
      lostChannels: 0,
      refused: this.refusals.byReason(),
    };
  }

  close(): Promise<void> {
    this.closed.abort();
    this.closing ??= Promise.all([
      this.hesNode?.close(),
      ...[...this.dcs.values()].map((d) => d.close()),
      ...[...this.tns.values()].map((t) => t.close()),
    ]).then(() => {});
    return this.closing;
  }

  /** What a node's current unit is built from: the run's clock, its own wire, store and keys. */
  private depsOf(node: NodeId, crypto: CryptoBackend, metrics: Metrics): LeanNodeDeps {
    const { clock, network, observer } = this.ctx;
    const generation = this.generation.get(node) ?? 0;
    return {
      id: node,
      clock,
      transport: network.attach(node),
      store: this.storeOf(node),
      identity: this.keysOf(node),
      crypto,
      metrics,
      manufacturerKey: this.manufacturerKey,
      random: this.ctx.random.fork(generation ? `lean:${node}~${generation}` : `lean:${node}`),
      ...(observer ? { observer } : {}),
    };
  }

  private storeOf(node: NodeId): NodeStore {
    const generation = this.generation.get(node) ?? 0;
    const key = `${node}#${generation}`;
    let store = this.stores.get(key);
    if (!store) this.stores.set(key, (store = this.ctx.storeFor(node, generation)));
    return store;
  }

  /** The unit of a DC (the current generation): keys provisioned, allow-listed, attached. */
  private createDc(dc: NodeId): Dc {
    const { retry, automation } = this.ctx.options;
    return Dc.create(this.depsOf(dc, this.ctx.crypto.dc, this.metrics.with({ dc, segment: dc })), {
      hes: this.ctx.topology.hes,
      ...(retry ? { retry } : {}),
      ...(automation ? { repeats: automation } : {}),
    });
  }

  private createTn(tn: NodeId, dc: NodeId): Tn {
    const { ctx } = this;
    const relay = ctx.relayFor(tn);
    const compute = ctx.computeFor(tn);
    const { automation } = ctx.options;
    return Tn.create(this.depsOf(tn, ctx.crypto.tn, this.metrics.with({ dc, segment: dc, tn })), {
      dc,
      hes: ctx.topology.hes,
      meter: ctx.meterFor(tn),
      onFirmwareInstalled: this.installed,
      certificates: this.certificates,
      ...(relay ? { relay } : {}),
      ...(compute ? { compute } : {}),
      retry: this.retryOf(dc),
      ...(automation?.repeats ? { repeats: new RepeatWindow(ctx.clock, automation) } : {}),
    });
  }

  /** A segment's TNs' retry policy: one object for the segment, not one per TN (issue 13). */
  private retryOf(dc: NodeId): RetryPolicy {
    let policy = this.segmentRetry.get(dc);
    if (!policy) {
      const retry = this.ctx.options.retry ?? DEFAULT_RETRY;
      this.segmentRetry.set(dc, (policy = { ...retry, spreadMs: retry.spreadMs ?? this.enrolmentSpreadMs(dc) }));
    }
    return policy;
  }

  /**
   * How long a segment's TNs spread their first registrations over (docs/DESIGN.md 2.1,
   * "Bootstrapping"): the least time the segment carries every TN's registration and its answer
   * once (docs/DESIGN.md 5), as an operator sets a meter's randomisation interval by the size of
   * its segment. Shorter, the segment's queue holds the answers past the TNs' retry timers.
   */
  private enrolmentSpreadMs(dc: NodeId): number {
    const segment = this.ctx.plc(dc);
    const exchange = phyBytes(segment, REGISTRATION_BYTES) + phyBytes(segment, ENROLMENT_ANSWER_BYTES);
    return stormBoundS(segment, this.ctx.topology.tnsOf(dc).length, exchange) * 1000;
  }

  /** Makes (or loads) a node's keys as at production time; returns the fingerprint for the allow-list. */
  private provision(node: NodeId, crypto: CryptoBackend): string {
    const identity = loadOrCreateIdentity(this.storeOf(node), crypto);
    this.identities.set(node, identity);
    return toHex(keyFingerprint(identity.sign.publicKey, identity.enc.publicKey, crypto));
  }
}
