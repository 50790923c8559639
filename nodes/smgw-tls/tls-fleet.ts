import { X509Certificate } from 'node:crypto';
/**
 * The smgw-tls nodes this process runs (docs/DESIGN.md 2.2): the HES terminating every TN's TLS
 * channel, each DC's router, each TN with its own credential, and one handshake tracker per
 * segment. Units are built here, at start and when one replaces another.
 */
import type { NodeId } from '../../core/transport';
import type { Metrics } from '../../core/metrics';
import type { ModeContext } from '../mode';
import { TlsDcRouter } from './dc-router';
import { TlsConfigError } from './errors';
import { HandshakeTracker, type HandshakeRecord } from './handshake-tracker';
import { TlsHes } from './hes-node';
import type { Credential, Pki } from './pki';
import type { TlsConfig, TlsModeOptions } from './tls-config';
import { hesContext, tnContext } from './tls-profile';
import { TlsTn } from './tn-node';

export class TlsFleet {
  readonly hes: TlsHes | undefined;
  readonly tns = new Map<NodeId, TlsTn>();
  /** Every handshake so far, in the order they finished. */
  readonly handshakes: HandshakeRecord[] = [];
  private readonly routers = new Map<NodeId, TlsDcRouter>();
  private readonly trackers = new Map<NodeId, HandshakeTracker>();
  private readonly credentials = new Map<NodeId, Credential>();
  /** Units of a TN built so far: a replacement is a new device, with a seeded stream of its own. */
  private readonly units = new Map<NodeId, number>();
  private readonly handshakeListeners = new Set<(record: HandshakeRecord) => void>();
  /**
   * The root as the TNs check the HES's certificate against it: one parse for all of them. A copy
   * per TN cost about 6 KB of OpenSSL's memory each, plus its public key once used.
   */
  private root: X509Certificate | undefined;

  constructor(
    private readonly ctx: ModeContext<TlsModeOptions>,
    private readonly config: TlsConfig,
    readonly pki: Pki,
    private readonly metrics: Metrics,
  ) {
    const { topology, clock, network, local, options, observer } = ctx;
    this.hes = local(topology.hes)
      ? new TlsHes(
          {
            dcOf: (tn) => topology.dcOf(tn),
            reliable: config.reliable,
            maxQueuedMessages: config.maxQueuedMessages,
            ...(observer ? { observer } : {}),
          },
          {
            context: hesContext(pki, config.chain, false, options.hesCredential),
            resumptionContext: hesContext(pki, config.chain, true, options.hesCredential),
            rootPem: pki.rootPem,
            rootInStore: config.chain.withRoot,
          },
          { id: topology.hes, clock, transport: network.attach(topology.hes), metrics },
        )
      : undefined;
    for (const { id: dc, tns } of topology.dcs) {
      if (local(dc)) this.createRouter(dc);
      const tracker = new HandshakeTracker(
        { dc, airtime: config.plc(dc), minStormTns: config.minStormTns, sampleIntervalMs: config.sampleIntervalMs },
        clock,
        this.segmentMetrics(dc),
      );
      this.trackers.set(dc, tracker);
      for (const tn of tns.filter(local)) this.createTn(tn, options.credentialOf?.(tn, pki) ?? pki.tn(tn));
    }
  }

  /** A TN this process runs. */
  tn(id: NodeId): TlsTn {
    const tn = this.tns.get(id);
    if (!tn)
      throw new TlsConfigError(
        `tn: "${id}" is not a TN of the topology${this.ctx.topology.roleOf(id) === 'tn' ? ' run by this process' : ''}`,
      );
    return tn;
  }

  /** The credential a TN of this process presents (its current unit's). */
  credentialOf(id: NodeId): Credential {
    this.tn(id);
    return this.credentials.get(id)!;
  }

  /** The DC a TN of the topology belongs to. */
  dcOf(tn: NodeId): NodeId {
    const dc = this.ctx.topology.dcOf(tn);
    if (!dc) throw new TlsConfigError(`tn: "${tn}" is not a TN of the topology`);
    return dc;
  }

  tracker(dc: NodeId): HandshakeTracker {
    const tracker = this.trackers.get(dc);
    if (!tracker) throw new TlsConfigError(`dc: "${dc}" is not a DC of the topology`);
    return tracker;
  }

  /** The TNs of a segment that this process runs. */
  localTnsOf(dc: NodeId): TlsTn[] {
    return this.ctx.topology.tnsOf(dc).flatMap((tn) => this.tns.get(tn) ?? []);
  }

  /** Called with every handshake a TN of this process finishes or loses; returns the unsubscribe. */
  onHandshake(listener: (record: HandshakeRecord) => void): () => void {
    this.handshakeListeners.add(listener);
    return () => this.handshakeListeners.delete(listener);
  }

  /** A TN's unit, presenting `credential`, attached to the wire; it connects when started. */
  createTn(tn: NodeId, credential: Credential): TlsTn {
    const { ctx, config, pki } = this;
    const dc = ctx.topology.dcOf(tn)!;
    const relay = ctx.relayFor(tn);
    const compute = ctx.computeFor(tn);
    const generation = this.units.get(tn) ?? 0;
    this.units.set(tn, generation + 1);
    const unit = new TlsTn(
      {
        dc,
        hes: ctx.topology.hes,
        lifetime: config.lifetime,
        handshakeTimeoutMs: config.handshakeTimeoutMs,
        backoff: config.backoff,
        reliable: config.reliable,
        airtime: config.plc(dc),
        meter: ctx.meterFor(tn),
        ...(compute ? { compute } : {}),
        ...(ctx.options.skipCounterChecks?.(tn) ? { skipCounterChecks: true } : {}),
      },
      {
        context: tnContext(pki, credential, config.chain),
        manufacturerPublicKey: pki.manufacturerPublicKey,
        ...(config.chain.withRoot ? {} : { root: this.rootCertificate() }),
      },
      {
        tracker: this.tracker(dc),
        ...(relay ? { relay } : {}),
        ...(ctx.observer ? { observer: ctx.observer } : {}),
        onHandshake: (record) => {
          this.handshakes.push(record);
          for (const listener of [...this.handshakeListeners]) listener(record);
        },
      },
      {
        id: tn,
        clock: ctx.clock,
        transport: ctx.network.attach(tn),
        metrics: this.segmentMetrics(dc).with({ tn }),
        random: ctx.random.fork(generation ? `tls:${tn}~${generation}` : `tls:${tn}`),
      },
    );
    this.tns.set(tn, unit);
    this.credentials.set(tn, credential);
    return unit;
  }

  /** A new router unit in a DC's place: it holds no credential, so nothing enrols. */
  async replaceDc(dc: NodeId): Promise<void> {
    const router = this.routers.get(dc);
    if (!router) throw new Error(`smgw-tls mode: replacing ${dc} needs ${dc} in this process`);
    await router.close();
    this.createRouter(dc);
  }

  async close(): Promise<void> {
    await Promise.all([...this.tns.values()].map((tn) => tn.close()));
    await Promise.all([...this.routers.values()].map((r) => r.close()));
    await this.hes?.close();
  }

  private rootCertificate(): X509Certificate {
    return (this.root ??= new X509Certificate(this.pki.rootPem));
  }

  private createRouter(dc: NodeId): void {
    const { topology, clock, network } = this.ctx;
    this.routers.set(
      dc,
      new TlsDcRouter(
        { hes: topology.hes, tns: topology.tnsOf(dc) },
        { id: dc, clock, transport: network.attach(dc), metrics: this.segmentMetrics(dc) },
      ),
    );
  }

  private segmentMetrics(dc: NodeId): Metrics {
    return this.metrics.with({ segment: dc, dc });
  }
}
