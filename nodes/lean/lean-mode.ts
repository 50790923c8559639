/**
 * Lean mode on a topology: one HES, the DCs and their TNs built on a network, provisioned the way
 * docs/DESIGN.md 2.1 describes (node keys made at production, their fingerprints on the HES's
 * allow-list, the manufacturer certifying the HES), and driven through the BenchMode workload.
 */
import type { Topology } from '../../core/topology';
import type { CryptoBackend } from '../crypto/backend';
import type { AutomationReport, BenchMode, BootstrapReport, FirmwareImage, FirmwareReport, MeterRoundReport, RelayCommand } from '../mode';
import type { Clock } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { Random } from '../../core/random';
import type { Network, NodeId } from '../../core/transport';
import type { NodeStore } from '../store/node-store';
import { toHex } from '../../core/bytes';
import { AllowList } from './allow-list';
import { Dc } from './dc';
import type { ProtocolObserver } from '../oracle/goal-oracle';
import { Hes, provisionHes } from './hes';
import { keyFingerprint, loadOrCreateIdentity, type Identity } from './identity';
import { MANUFACTURER_ID, Manufacturer } from './manufacturer';
import { syntheticMeter } from './synthetic-meter';
import { Tn, type ComputeModel, type MeterSource, type RelayActuator } from './tn';
import { DEFAULT_RETRY, type LeanNodeDeps, type RetryPolicy } from './node-deps';

export interface LeanModeOptions {
  readonly topology: Topology;
  readonly network: Network;
  readonly clock: Clock;
  /** Backend per role: the HES and DCs usually run node:crypto, TNs either. */
  readonly crypto: { readonly hes: CryptoBackend; readonly dc: CryptoBackend; readonly tn: CryptoBackend };
  /** Tagged with the run's tags; node tags are added here. */
  readonly metrics: Metrics;
  readonly random: Random;
  /**
   * The store of a node's unit: generation 0 is the unit installed first, 1.. its replacements
   * (replace()), each a new device with its own keys. Called once per unit.
   */
  readonly storeFor: (node: NodeId, generation: number) => NodeStore;
  readonly observer?: ProtocolObserver;
  /** The manufacturer (signs firmware); by default one made for this run. */
  readonly manufacturer?: Manufacturer;
  /**
   * Distributed benches: the allow-list and the manufacturer's public key as provisioned. A
   * process given these loads only its own nodes' keys (and the manufacturer's secret only where
   * `manufacturer` is given, the HES's process), so a compromised DC process holds the DC's keys
   * and nothing more.
   */
  readonly provisioned?: { readonly allowList: AllowList; readonly manufacturerKey: Uint8Array };
  readonly relayFor?: (tn: NodeId) => RelayActuator | undefined;
  readonly meterFor?: (tn: NodeId) => MeterSource | undefined;
  readonly computeFor?: (tn: NodeId) => ComputeModel | undefined;
  readonly retry?: RetryPolicy;
  /** How long bootstrap waits for stragglers (frames lost on the PLC are retried). */
  readonly bootstrapTimeoutMs?: number;
  readonly firmware?: { readonly passes: number; readonly chunkIntervalMs: number };
  /**
   * The nodes this process runs (default: all). Distributed benches run the HES, each DC and the
   * TN hosts in separate processes over the broker; every process still provisions (loads) all
   * identities, so the HES's allow-list is complete. Stores must then be shared files.
   */
  readonly local?: (node: NodeId) => boolean;
}

/**
 * Three carousel passes: with 2% independent loss per broadcast chunk, a TN misses some chunk of a
 * 41-chunk (8 KiB) image in one pass with probability 56%, in all three with about 0.03%.
 */
const FIRMWARE_DEFAULTS = { passes: 3, chunkIntervalMs: 150 };
const POLL_MS = 1_000;

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

  constructor(private readonly options: LeanModeOptions) {
    const { topology, crypto, provisioned } = options;
    const local = options.local ?? (() => true);
    this.manufacturerRoot = options.manufacturer ?? (provisioned ? undefined : Manufacturer.create(crypto.hes));
    this.manufacturerKey = this.manufacturerRoot?.publicKey ?? provisioned!.manufacturerKey;
    if (provisioned) {
      // provisioned elsewhere: load the keys of this process's nodes only (and open no other node's store)
      this.allowList = provisioned.allowList;
      if (local(topology.hes)) this.provision(topology.hes, this.storeOf(topology.hes), crypto.hes);
      for (const { id: dc, tns } of topology.dcs) {
        if (local(dc)) this.provision(dc, this.storeOf(dc), crypto.dc);
        for (const tn of tns) if (local(tn)) this.provision(tn, this.storeOf(tn), crypto.tn);
      }
    } else {
      this.allowList = new AllowList();
      const hesStore = this.storeOf(topology.hes);
      provisionHes(hesStore, { crypto: crypto.hes, id: topology.hes }, this.manufacturerRoot!);
      this.provision(topology.hes, hesStore, crypto.hes);
      for (const { id: dc, tns } of topology.dcs) {
        this.allowList.expect(dc, { role: 'dc', fingerprint: this.provision(dc, this.storeOf(dc), crypto.dc) });
        for (const tn of tns) this.allowList.expect(tn, { role: 'tn', dc, fingerprint: this.provision(tn, this.storeOf(tn), crypto.tn) });
      }
    }
    if (local(topology.hes)) {
      this.hesNode = Hes.create(this.depsOf(topology.hes, crypto.hes, options.metrics), {
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
    const role = this.options.topology.roleOf(node);
    if (role !== 'dc' && role !== 'tn') throw new Error(`lean mode: only DCs and TNs can be replaced, not "${node}"`);
    // the HES takes the new unit's fingerprint from this process's allow-list
    if (!(role === 'dc' ? this.dcs : this.tns).has(node) || !this.hesNode)
      throw new Error(`lean mode: replacing ${node} needs ${node} and the HES in this process`);
    this.generation.set(node, (this.generation.get(node) ?? 0) + 1);
    this.options.observer?.replaced(node);
    // the operator registers the new unit's fingerprint out of band before it is installed
    const dc = role === 'dc' ? node : this.options.topology.dcOf(node)!;
    const crypto = role === 'dc' ? this.options.crypto.dc : this.options.crypto.tn;
    const fingerprint = this.provision(node, this.storeOf(node), crypto);
    this.allowList.expect(node, role === 'dc' ? { role, fingerprint } : { role, dc, fingerprint });
    if (role === 'dc') {
      await this.dcs.get(node)!.close();
      const unit = this.createDc(node);
      this.dcs.set(node, unit);
      await unit.bootstrap();
      await Promise.all(this.options.topology.tnsOf(node).flatMap((tn) => this.tns.get(tn)?.reenrol() ?? []));
    } else {
      await this.tns.get(node)!.close();
      const unit = this.createTn(node, dc);
      this.tns.set(node, unit);
      await unit.bootstrap();
    }
  }

  /** A node's keys, as an attacker who compromised it would hold them (campaigns use this). */
  keysOf(node: NodeId): Identity {
    const identity = this.identities.get(node);
    if (!identity) throw new Error(`lean mode: no node "${node}"`);
    return identity;
  }

  async bootstrap(): Promise<BootstrapReport> {
    const { clock } = this.options;
    const startedAt = clock.now();
    const deadline = this.options.bootstrapTimeoutMs ?? 20 * (this.options.retry ?? DEFAULT_RETRY).maxMs;
    await this.within(deadline, Promise.all([...this.dcs.values()].map((dc) => dc.bootstrap())));
    const remaining = deadline - (clock.now() - startedAt);
    await this.within(remaining, Promise.all([...this.tns.values()].map((tn) => tn.bootstrap())));
    const failed = [...this.dcs, ...this.tns].filter(([, node]) => !node.enrolled).map(([id]) => id);
    return { enrolled: this.dcs.size + this.tns.size - failed.length, failed, durationMs: clock.now() - startedAt };
  }

  meterRound(timeoutMs: number): Promise<MeterRoundReport> {
    return this.hes.meterRound(timeoutMs);
  }

  automation(dc: NodeId, command: RelayCommand): AutomationReport {
    const node = this.dcs.get(dc);
    if (!node) throw new Error(`lean mode: no DC "${dc}"`);
    const issued = node.automation(command.relay === 'on' ? 1 : 0);
    return { issuedAt: issued.issuedAt, addressed: this.options.topology.tnsOf(dc).length, segmentBytes: issued.frame.length };
  }

  confidential(tn: NodeId, payload: Uint8Array): void {
    this.hes.sendConfidential(tn, payload);
  }

  async firmware(image: FirmwareImage, timeoutMs: number): Promise<FirmwareReport> {
    const { clock } = this.options;
    const startedAt = clock.now();
    if (!this.manufacturerRoot) throw new Error('lean mode: firmware is signed by the manufacturer, whose key this process does not hold');
    const signed = this.manufacturerRoot.signFirmware(image.version, image.image);
    this.options.observer?.sent(MANUFACTURER_ID, signed.manifestSigned);
    const outdated = () => [...this.tns].filter(([, tn]) => tn.firmwareVersion < image.version).map(([id]) => id);
    void this.hes.distributeFirmware(signed, this.options.firmware ?? FIRMWARE_DEFAULTS);
    while (outdated().length > 0 && clock.now() - startedAt < timeoutMs) await clock.sleep(POLL_MS);
    const missing = outdated();
    return { version: image.version, installed: this.tns.size - missing.length, missing, durationMs: clock.now() - startedAt };
  }

  /**
   * A power cut and restoration on a segment. Lean TNs keep keys, certificates and counters on
   * disk and need no session, so nothing goes on the wire: the contrast with smgw-tls is the point.
   */
  powerRestored(_dc: NodeId): void {}

  async close(): Promise<void> {
    await Promise.all([
      this.hesNode?.close(),
      ...[...this.dcs.values()].map((d) => d.close()),
      ...[...this.tns.values()].map((t) => t.close()),
    ]);
  }

  /** What a node's current unit is built from: the run's clock, its own wire, store and keys. */
  private depsOf(node: NodeId, crypto: CryptoBackend, metrics: Metrics): LeanNodeDeps {
    const { clock, network, observer } = this.options;
    return {
      id: node,
      clock,
      transport: network.attach(node),
      store: this.storeOf(node),
      crypto,
      metrics,
      manufacturerKey: this.manufacturerKey,
      ...(observer ? { observer } : {}),
    };
  }

  private storeOf(node: NodeId): NodeStore {
    const generation = this.generation.get(node) ?? 0;
    const key = `${node}#${generation}`;
    let store = this.stores.get(key);
    if (!store) this.stores.set(key, (store = this.options.storeFor(node, generation)));
    return store;
  }

  /** The unit of a DC (the current generation): keys provisioned, allow-listed, attached. */
  private createDc(dc: NodeId): Dc {
    const { options } = this;
    return Dc.create(this.depsOf(dc, options.crypto.dc, options.metrics.with({ dc, segment: dc })), {
      hes: options.topology.hes,
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  private createTn(tn: NodeId, dc: NodeId): Tn {
    const { options } = this;
    const relay = options.relayFor?.(tn);
    const compute = options.computeFor?.(tn);
    return Tn.create(this.depsOf(tn, options.crypto.tn, options.metrics.with({ dc, segment: dc, tn })), {
      dc,
      hes: options.topology.hes,
      meter: options.meterFor?.(tn) ?? syntheticMeter(options.clock, options.random.fork(`meter/${tn}`)),
      ...(relay ? { relay } : {}),
      ...(compute ? { compute } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }

  /** Makes (or loads) a node's keys as at production time; returns the fingerprint for the allow-list. */
  private provision(node: NodeId, store: NodeStore, crypto: CryptoBackend): string {
    const identity = loadOrCreateIdentity(store, crypto);
    this.identities.set(node, identity);
    return toHex(keyFingerprint(identity.sign.publicKey, identity.enc.publicKey, crypto));
  }

  /** Waits for `work`, or until `ms` of clock time passed, whichever is first. */
  private async within(ms: number, work: Promise<unknown>): Promise<void> {
    if (ms <= 0) return;
    let timer: { cancel(): void } | undefined;
    await Promise.race([work, new Promise<void>((resolve) => (timer = this.options.clock.setTimer(ms, resolve)))]);
    timer?.cancel();
  }
}
