/**
 * The campaigns of a --processes run (or any run whose nodes live in other processes): the same
 * CampaignRunner as in process, in the parent, with
 *   - the wire: the broker's attack port (bench/attack/remote-control.ts), the attacker's position;
 *   - the mode: a stand-in whose operations the host processes run (host-ops.ts), each by the host
 *     that runs the nodes it needs, and whose keysOf hands out the keys the hosts reported;
 *   - the goal oracle: here, judging what every host's nodes told it, in the order it happened,
 *     and up to the campaign's end (relay-judging.ts), and the sealed frames on the wire for who
 *     can read them;
 *   - refusals: the hosts' frame_rejected samples, which carry the attack label of the frame across
 *     the broker, so that the per-goal rows of the summary mean what they mean in process;
 *   - the operator's out-of-band side of a replacement: a host's `issue` (a credential from the
 *     roots) and `register` (the HES's host admits the new unit) are granted only for a node of
 *     that host's own selection whose replacement this campaign asked for and has not finished,
 *     once each (outOfBandGrant). A compromised host asking for another node's credential, or
 *     for one nobody is replacing, is refused, counted (operator_rejected) and logged: the roots
 *     sign nothing for it and the HES admits nothing from it (docs/DESIGN.md: a compromised node
 *     must not gain another node's keys).
 */
import { RealClock } from '../../core/clock';
import { createMetrics, type Metrics, type Sample } from '../../core/metrics';
import { Random } from '../../core/random';
import type { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';
import type { Identity } from '../../nodes/lean/identity';
import type { ModeStats } from '../../nodes/mode';
import type { ModeName } from '../../nodes/modes';
import { GoalOracle, judgeConfidentiality, MANUFACTURER_ID, topologyMembership, type Violation } from '../../nodes/oracle/goal-oracle';
import { connectRemoteControl, type RemoteControl } from '../attack/remote-control';
import { CampaignRunner } from '../campaign/campaign-runner';
import type { LoadedCampaign } from '../campaign/load';
import type { StepFailure } from '../campaign/step';
import { cryptoBackend } from '../../nodes/crypto';
import type { Scenario } from '../scenario/schema';
import { eventTime, type HostMessage, type HostOp, type Observed, type ParentMessage } from './host-messages';
import type { RunnableMode } from './mode-factory';
import { RelayJudging } from './relay-judging';
import { Schedule } from './schedule';

/** What the campaigns came to: the goal oracle's violations, the failed steps, and what the verdict misses, each naming its host. */
export interface CampaignVerdict {
  readonly violations: readonly Violation[];
  readonly failedSteps: readonly StepFailure[];
  readonly incomplete: readonly string[];
}

/** A host process as the relay sees it. */
export interface RelayHost {
  readonly name: string;
  /** The nodes its selection runs: the only ones whose replacement it may ask the operator's side for. */
  readonly nodes: ReadonlySet<NodeId>;
  alive(): boolean;
  send(m: ParentMessage): void;
}

export interface CampaignRelayOptions {
  readonly scenario: Scenario;
  readonly modeName: ModeName;
  readonly topology: Topology;
  readonly campaigns: readonly LoadedCampaign[];
  readonly tags: Readonly<Record<string, string>>;
  /** The broker's attack port. */
  readonly attack: { readonly endpoint: string; readonly token: string };
  readonly hosts: () => readonly RelayHost[];
  readonly record: (sample: Sample) => void;
  readonly log: (line: string) => void;
  /**
   * The operator's side of a replacement: a new unit's credential issued from the provisioned roots
   * (ModeDefinition.issueReplacement), for a mode whose new units get theirs from the operator only:
   * a register there must follow its issue and carry the issued certificate.
   */
  readonly issue?: (node: NodeId) => unknown;
  /** How long a host whose channel went down may still send again what it sent meanwhile (hostAway; default: what a lab host keeps, HISTORY_LIMITS.ms). */
  readonly resendWithinMs?: number;
}

/** One replacement's out-of-band requests: whether it had its issue and its register, and what the operator issued for it. */
interface Grant {
  issue: boolean;
  register: boolean;
  issued?: unknown;
}

/**
 * The certificate of a credential the operator issued, as its host registers it with the HES
 * (smgw-tls: a TN's new unit registers credential.certDer, nodes/smgw-tls/tls-mode.ts replace);
 * undefined for a mode whose credential carries none.
 */
function issuedCertificate(credential: unknown): Uint8Array | undefined {
  const cert = typeof credential === 'object' && credential !== null ? (credential as { certDer?: unknown }).certDer : undefined;
  return cert instanceof Uint8Array ? cert : undefined;
}

const sameBytes = (a: unknown, b: Uint8Array): boolean =>
  a instanceof Uint8Array && a.length === b.length && a.every((byte, i) => byte === b[i]);

interface PendingOp {
  readonly waiting: Set<string>;
  readonly results: { mine: boolean; value?: unknown; error?: string }[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly op: HostOp;
}

export class CampaignRelay {
  private readonly clock = new RealClock();
  private readonly oracle: GoalOracle;
  private readonly keys = new Map<NodeId, Identity>();
  private readonly pending = new Map<number, PendingOp>();
  /** Replacements the campaigns asked for and the hosts have not finished, per node (two campaigns may replace one node at once): whether each had its issue and its register. */
  private readonly replacing = new Map<NodeId, Grant[]>();
  private readonly metrics: Metrics;
  private refused = 0;
  private nextOp = 0;
  private readonly judging: RelayJudging;
  private runner: CampaignRunner | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private finished: Promise<CampaignVerdict> | undefined;

  private constructor(
    private readonly options: CampaignRelayOptions,
    private readonly control: RemoteControl,
  ) {
    this.oracle = new GoalOracle(topologyMembership(options.topology));
    this.metrics = createMetrics(
      this.clock,
      (s) => {
        options.record(s);
        this.runner?.observe(s);
      },
      options.tags,
    );
    this.judging = new RelayJudging(this.oracle, this.clock, options);
  }

  static async connect(options: CampaignRelayOptions): Promise<CampaignRelay> {
    const control = await connectRemoteControl({
      ...options.attack,
      seed: `${options.scenario.seed}`,
      onError: (m) => options.log(`${options.modeName}: attack port: ${m}`),
    });
    return new CampaignRelay(options, control);
  }

  /** Everything a host says passes here (samples go through observe). */
  hostMessage(host: string, m: HostMessage): void {
    this.judging.back(host);
    if (m.type === 'observed') {
      // one at a time: spread as arguments, a batch above ~125,000 events throws RangeError
      const nodes = this.hostNamed(host)?.nodes;
      const own = nodes ? m.events.filter((e) => this.isOwnEvent(nodes, e)) : [];
      const foreign = m.events.length - own.length;
      if (foreign) this.refuseForeign(host, `${foreign} oracle event(s)`, foreign);
      this.judging.take(host, own, m.upTo);
    } else if (m.type === 'keys') {
      const nodes = this.hostNamed(host)?.nodes;
      const foreign = Object.keys(m.keys).filter((node) => !nodes?.has(node));
      for (const [node, k] of Object.entries(m.keys)) if (nodes?.has(node)) this.keys.set(node, k);
      if (foreign.length) this.refuseForeign(host, `the keys of ${foreign.join(', ')}`, foreign.length);
    } else if (m.type === 'op-done') this.answered(host, m.id, m);
    else if (m.type === 'issue') {
      const from = this.options.hosts().find((h) => h.name === host);
      const grant = this.outOfBandGrant(host, m);
      if (typeof grant === 'string') return from?.send({ type: 'issued', id: m.id, error: grant });
      try {
        if (!this.options.issue) throw new Error(`${this.options.modeName} mode's new units make their own credentials`);
        // kept: the unit's register must carry this credential's certificate, not one of the host's making
        grant.issued = this.options.issue(m.node);
        from?.send({ type: 'issued', id: m.id, credential: grant.issued });
      } catch (err) {
        from?.send({ type: 'issued', id: m.id, error: (err as Error).message });
      }
    } else if (m.type === 'register') {
      // the operator registers a replacement unit with the HES, out of band
      const from = this.options.hosts().find((h) => h.name === host);
      const grant = this.outOfBandGrant(host, m);
      if (typeof grant === 'string') return from?.send({ type: 'registered', id: m.id, error: grant });
      this.ask({ op: 'admit', node: m.node, credential: m.credential }).then(
        () => from?.send({ type: 'registered', id: m.id }),
        (err: unknown) => from?.send({ type: 'registered', id: m.id, error: (err as Error).message }),
      );
    }
  }

  /** A host ended: operations that waited on it go on without it, and the judging does not wait for its batches. */
  hostGone(host: string): void {
    this.judging.gone(host);
    this.settleWithout(host);
  }

  /** A host's channel went down: operations that waited on it go on without it; the judging holds at its last batch (RelayJudging.away). */
  hostAway(host: string): void {
    this.settleWithout(host);
    this.judging.away(host);
  }

  private settleWithout(host: string): void {
    for (const [id] of this.pending) this.answered(host, id, { mine: false });
  }

  /** Frames the campaigns' attackers put on the wire so far. */
  get injected(): number {
    return this.runner?.injected ?? 0;
  }

  observe(sample: Sample): void {
    this.runner?.observe(sample);
  }

  /** Starts the campaigns at the workload's start (clock time `startAt`). */
  start(startAt: number): void {
    const { options, metrics } = this;
    const mode = this.mode();
    // as in process, sealed frames on the wire are judged for who can read them (run.ts)
    judgeConfidentiality(
      this.oracle,
      mode,
      { control: { tap: (handler) => this.control.tap(handler, { class: ['confidential', 'meter-response'] }) } },
      options.topology,
      cryptoBackend(options.scenario.crypto.tn),
    );
    this.runner = CampaignRunner.create(options.campaigns, {
      mode,
      modeName: options.modeName,
      network: { control: this.control },
      clock: this.clock,
      oracle: this.oracle,
      metrics,
      topology: options.topology,
      random: new Random(options.scenario.seed).fork('campaigns'),
      timeScale: options.scenario.campaignTimeScale,
      log: options.log,
    });
    const runner = this.runner;
    this.startTimer = setTimeout(() => runner.start(new Schedule(this.clock, startAt)), Math.max(0, startAt - this.clock.now()));
  }

  /** The run's end (the hosts are told to stop): a step that fails from now on is logged, not failed, as in process. */
  end(): void {
    this.runner?.end();
  }

  /** Judges what is left, emits the last tallies and ends the attacker's session. */
  finish(): Promise<CampaignVerdict> {
    // once: a second call (a closing after the verdict) gets the same verdict, with no second wait
    return (this.finished ??= this.finishing());
  }

  private async finishing(): Promise<CampaignVerdict> {
    // the campaign's end: its verdict is about what happened up to now (a lab's hosts outlive it)
    const horizon = eventTime();
    clearTimeout(this.startTimer);
    const incomplete = await this.judging.end(horizon);
    const failedSteps = this.runner?.finish() ?? [];
    for (const p of this.pending.values()) p.reject(new Error(`${p.op.op}: the run ended first`));
    this.pending.clear();
    await this.control.close();
    return { violations: this.oracle.violations, failedSteps, incomplete };
  }

  private hostNamed(host: string): RelayHost | undefined {
    return this.options.hosts().find((h) => h.name === host);
  }

  /**
   * Whether an event a host reported is about one of its own nodes, as every honest host's are
   * (a node tells the oracle what it sent, accepted or became; the HES's host what it issued and
   * the manufacturer's firmware manifests it rolls out): a compromised host's report about another
   * node, a sending that would cover a forgery, is not judged.
   */
  private isOwnEvent(nodes: ReadonlySet<NodeId>, e: Observed): boolean {
    const hes = nodes.has(this.options.topology.hes);
    if (e.kind === 'sent') return nodes.has(e.sender) || (e.sender === MANUFACTURER_ID && hes);
    if (e.kind === 'accepted') return nodes.has(e.acceptance.node);
    if (e.kind === 'replaced') return nodes.has(e.node);
    return hes;
  }

  /** What a host reported about nodes that are not its own: dropped, counted and logged. */
  private refuseForeign(host: string, what: string, count: number): void {
    this.refused += count;
    this.metrics.emit('operator_rejected', { count, from: host }, { reason: 'not-its-node' });
    this.options.log(`${host} reported ${what} of nodes that are not its own: refused; ${this.refused} refused so far`);
  }

  /**
   * Why a host's issue or register is refused, or its replacement's grant when it is granted (then
   * used up): only for a node of its own selection, under a replacement this campaign asked for and
   * the hosts have not finished, once each; a register whose replacement had a certificate issued
   * must carry that certificate (a compromised host registering a key of its own making would have
   * the HES admit a unit the operator never issued). A refusal is counted and logged here.
   */
  private outOfBandGrant(
    host: string,
    m: { readonly type: 'issue' | 'register'; readonly node: NodeId; readonly credential?: unknown },
  ): string | Grant {
    const refuse = (reason: string, detail: string) => {
      this.metrics.emit('operator_rejected', { count: 1, from: host }, { reason });
      this.options.log(`${host} asked to ${m.type} ${String(m.node)}: refused (${reason}: ${detail}); ${++this.refused} refused so far`);
      return `refused: ${detail}`;
    };
    if (!this.hostNamed(host)?.nodes.has(m.node)) return refuse('not-its-node', `${String(m.node)} is not a node of ${host}`);
    const under = this.replacing.get(m.node);
    if (!under) return refuse('not-pending', `no replacement of ${m.node} is under way`);
    const grant = under.find((g) => !g[m.type]);
    if (!grant) return refuse('again', `the replacement of ${m.node} already had its ${m.type}`);
    // where the operator issues the new unit's credential, a register before it has nothing to be compared with
    if (m.type === 'register' && this.options.issue && grant.issued === undefined)
      return refuse('not-issued', `no credential was issued for the replacement of ${m.node} before its register`);
    const certificate = m.type === 'register' ? issuedCertificate(grant.issued) : undefined;
    if (certificate && !sameBytes(m.credential, certificate))
      return refuse('not-issued', `the certificate registered for ${m.node} is not the one the operator issued for its replacement`);
    grant[m.type] = true;
    return grant;
  }

  private ask(op: HostOp): Promise<unknown> {
    if (this.options.hosts().length === 0) return Promise.reject(labRefusal(op));
    const hosts = this.options.hosts().filter((h) => h.alive());
    const id = ++this.nextOp;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { waiting: new Set(hosts.map((h) => h.name)), results: [], resolve, reject, op });
      for (const h of hosts) h.send({ type: 'op', id, ...op });
      this.answered('', id, undefined);
    });
  }

  private answered(host: string, id: number, result: PendingOp['results'][number] | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    if (result && p.waiting.delete(host)) p.results.push(result);
    if (p.waiting.size > 0) return;
    this.pending.delete(id);
    const mine = p.results.filter((r) => r.mine);
    const failed = mine.find((r) => r.error !== undefined);
    if (failed) p.reject(new Error(`${p.op.op}: ${failed.error}`));
    else if (mine.length === 0) p.reject(new Error(`${p.op.op}: no process running now runs the nodes it needs`));
    else p.resolve(mine[0]!.value);
  }

  /** The mode as a campaign sees it: its operations run where their nodes are. */
  private mode(): RunnableMode {
    const { topology, modeName } = this.options;
    const unavailable = (what: string) => () => {
      throw new Error(`${what}: not offered to a campaign of a run whose nodes are in other processes`);
    };
    const fire = (op: HostOp) => {
      // at once where no host takes it, so that the step fails, named
      if (this.options.hosts().length === 0) throw labRefusal(op);
      this.ask(op).catch((err: unknown) => this.options.log(`${modeName}: campaign operation failed: ${(err as Error).message}`));
    };
    const stats: ModeStats = { channelsUp: 0, handshakes: 0, failedHandshakes: 0, lostChannels: 0, refused: {} };
    const mode: RunnableMode = {
      name: modeName,
      bootstrap: unavailable('bootstrap'),
      meterRound: (timeoutMs) => this.ask({ op: 'meterRound', timeoutMs }) as ReturnType<RunnableMode['meterRound']>,
      automationIssuer: unavailable('automationIssuer'),
      automation: (dc, command) => {
        fire({ op: 'automation', dc, relay: command.relay });
        return { issuedAt: this.clock.now(), addressed: topology.tnsOf(dc).length, segmentBytes: 0 };
      },
      confidential: (tn, payload) => fire({ op: 'confidential', tn, payload }),
      firmware: (image, timeoutMs) =>
        this.ask({ op: 'firmware', version: image.version, image: image.image, timeoutMs }) as ReturnType<RunnableMode['firmware']>,
      powerRestored: (dc) => this.ask({ op: 'powerRestored', dc }) as ReturnType<RunnableMode['powerRestored']>,
      replace: async (node) => {
        // its host may ask the operator's side for the new unit's credential and registration until it is done
        const grant: Grant = { issue: false, register: false };
        const under = this.replacing.get(node) ?? [];
        this.replacing.set(node, [...under, grant]);
        try {
          await this.ask({ op: 'replace', node });
        } finally {
          const left = (this.replacing.get(node) ?? []).filter((g) => g !== grant);
          if (left.length) this.replacing.set(node, left);
          else this.replacing.delete(node);
        }
        // a new DC unit: its TNs in other processes enrol again to learn its credential
        if (topology.roleOf(node) === 'dc') await this.ask({ op: 'reenrol', dc: node }).catch(() => undefined);
      },
      stats: () => stats,
      close: async () => {},
    };
    if (this.keys.size === 0) return mode;
    return {
      ...mode,
      keysOf: (node) => {
        const k = this.keys.get(node);
        if (!k) throw new Error(`keysOf: no process reported the keys of "${node}"`);
        return k;
      },
    };
  }
}

/** gridbench campaign without the hosts' operator channels (--state, --host): only the wire is offered. */
const labRefusal = (op: HostOp): Error =>
  new Error(
    `${op.op}: needs the nodes' operations, and this process was given no host to order them from: pass gridbench campaign the operator's --state and each host's --host SELECTION=tcp://HOST:PORT (its gridbench node --operator), or run the scenario with gridbench run --processes`,
  );
