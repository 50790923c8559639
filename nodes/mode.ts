/**
 * The contract of a security architecture (a "mode"): lean (signed multicast, signed and encrypted
 * unicast) or smgw-tls (a TLS channel per TN), and any mode added later. The runner drives every
 * mode through BenchMode with the same workload, on the same emulated wire and seed, so their
 * numbers can sit side by side; each operation below means the same in every mode, and the
 * compliance suite (test/modes/compliance.ts) holds every mode to it.
 *
 * Scope: a mode instance runs the nodes `local` says this process runs (all of them in-process;
 * a share of them in a distributed bench). Counts in reports are of this process's nodes unless
 * an operation says otherwise.
 *
 * Methods that wait for the network resolve as the clock runs: on a VirtualClock the caller keeps
 * `clock.run()` going (the runner does) while awaiting them.
 *
 * A mode is built through its ModeDefinition, registered by name in nodes/modes.ts.
 */
import type { z } from 'zod';
import type { Clock } from '../core/clock';
import type { Metrics } from '../core/metrics';
import type { SegmentAirtime } from '../core/phy';
import type { Random } from '../core/random';
import type { Topology } from '../core/topology';
import type { Network, NodeId } from '../core/transport';
import type { ComputeModel } from './compute-profile';
import type { CryptoBackend } from './crypto/backend';
import type { ProtocolObserver } from './oracle/goal-oracle';
import type { NodeStore } from './store/node-store';

// ---- the operations -------------------------------------------------------------------------

export interface RelayCommand {
  /** Relay state the TNs must switch to. */
  readonly relay: 'on' | 'off';
}

/** What enrolment (`bootstrap()`) achieved. */
export interface BootstrapReport {
  /**
   * TNs of this process enrolled: the HES accepts the TN's credential and the TN accepts the
   * HES's, so application traffic can flow both ways (lean: the TN verified its certificate chain
   * after the HES acknowledged its keys; smgw-tls: the first TLS handshake passed on both ends).
   */
  readonly enrolled: number;
  /** DCs of this process enrolled, in a mode whose DCs hold a credential (lean); absent in one whose DCs only route (smgw-tls). */
  readonly dcsEnrolled?: number;
  /** Nodes of this process (DCs or TNs) that did not enrol within the bootstrap timeout. */
  readonly failed: readonly NodeId[];
  /** From the start of enrolment to the last node enrolled (to the timeout when some failed). */
  readonly durationMs: number;
}

/** Register code (1 = active energy import, Wh) to value, as a meter reports it. */
export type MeterRegisters = ReadonlyArray<readonly [code: number, value: number]>;

export interface MeterRoundReport {
  /** HES counter of the request (lean) or round number (smgw-tls). */
  readonly round: number;
  /** From the request to the last answer, or to the timeout when some are missing. */
  readonly durationMs: number;
  readonly responses: number;
  /** TNs the HES asked that did not answer in time. */
  readonly missing: readonly NodeId[];
  /** What each TN that answered reported: the registers of its meter (its board's, or a synthetic one). */
  readonly readings: ReadonlyMap<NodeId, MeterRegisters>;
}

export interface AutomationReport {
  /** Clock time at which the command was issued by its originator. */
  readonly issuedAt: number;
  /** TNs the command was addressed to. */
  readonly addressed: number;
  /** Bytes the command put on the PLC segment (one broadcast, or one TLS record per TN). */
  readonly segmentBytes: number;
}

export interface FirmwareImage {
  readonly version: number;
  readonly image: Uint8Array;
}

export interface FirmwareReport {
  readonly version: number;
  /**
   * TNs known to have installed it: smgw-tls counts the installs the HES heard of over each TN's
   * channel (every TN of the topology); lean, whose protocol has no install acknowledgement, the
   * installs of the TNs this process runs.
   */
  readonly installed: number;
  /** TNs counted as above that had not installed it at the timeout. */
  readonly missing: readonly NodeId[];
  /** From the rollout's start to the last install (to the timeout when some are missing), as the installs happened. */
  readonly durationMs: number;
}

/**
 * A renegotiation storm: the busy period of handshakes one segment's TN sessions go through
 * together (a power restoration, a synchronized renewal), beside its bound N * S * 8 / R.
 */
export interface StormReport {
  readonly dc: NodeId;
  readonly reason: string;
  readonly tns: number;
  readonly handshakes: number;
  readonly failed: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationS: number;
  /** N * S * 8 / R with S the mean clean byte-times of the storm's completed full handshakes. */
  readonly boundS: number;
  readonly phyBytesPerHandshake: number;
  /** Frame bytes of all its handshakes, both directions, retransmissions included. */
  readonly bytes: number;
}

/**
 * One shape both modes fill. A mode without sessions (lean) has no handshakes and loses no
 * channel: those fields are 0 there, which means "none happened", not "unknown".
 */
export interface ModeStats {
  /**
   * TNs of this process the HES can reach now: smgw-tls, those whose TLS channel the HES (in this
   * process) accepted; lean, those enrolled (lean has no session: an enrolled TN is reachable
   * whenever the wire is).
   */
  readonly channelsUp: number;
  /** Session handshakes this process's TNs completed, full and resumed (smgw-tls: TLS); 0 in lean. */
  readonly handshakes: number;
  /** Session handshakes that died or were refused; 0 in lean. */
  readonly failedHandshakes: number;
  /** Established sessions that died under a TN (smgw-tls: a channel lost); 0 in lean. */
  readonly lostChannels: number;
  /** Every refusal this process's nodes counted (`frame_rejected`), by reason. */
  readonly refused: Readonly<Record<string, number>>;
}

export interface BenchMode {
  readonly name: string;
  /** What the mode runs with that results state (smgw-tls: the TCP beneath TLS, the chain); summary.json's `parameters`. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /**
   * Enrols this process's nodes (lean: DC certificate requests, TN key registrations and
   * certificate chains; smgw-tls: each TN's first TLS handshake with mutual authentication);
   * resolves when all are enrolled or at the bootstrap timeout. Call it once, after building the
   * mode (a lean node that enrolled in an earlier run, its state on disk, is enrolled at once).
   */
  bootstrap(): Promise<BootstrapReport>;
  /**
   * One meter reading round: the HES asks every TN it knows (lean: every registered TN; smgw-tls:
   * every TN of the topology) for its meter's registers and resolves when all answered or at the
   * timeout. Needs the HES in this process.
   */
  meterRound(timeoutMs: number): Promise<MeterRoundReport>;
  /**
   * The node that issues automation commands for a segment (lean: its DC, which signs and
   * broadcasts them; smgw-tls: the HES, which sends one down every TN's channel): the process
   * running it calls automation().
   */
  automationIssuer(dc: NodeId): NodeId;
  /**
   * An automation command for every TN of one DC's segment. Each TN that accepts it switches its
   * relay and emits `automation_latency` (from `issuedAt`); acceptance is measured at the TNs.
   */
  automation(dc: NodeId, command: RelayCommand): AutomationReport;
  /**
   * A confidential message from the HES for one TN: readable and accepted by that TN only (a
   * `frame_accepted` sample of class confidential at that TN). Needs the HES in this process.
   */
  confidential(tn: NodeId, payload: Uint8Array): void;
  /**
   * Rolls a manufacturer-signed image out to every TN; resolves when every TN counted (see
   * FirmwareReport) installed it or at the timeout. Needs the HES (and the manufacturer's
   * signing key) in this process.
   */
  firmware(image: FirmwareImage, timeoutMs: number): Promise<FirmwareReport>;
  /**
   * Every TN of the segment (that this process runs) loses power and gets it back at once: what
   * it held in memory (work on its CPU, a session, a transfer in progress) is gone, what it saved
   * is not. Resolves when they are back in service: lean at once (keys, certificates and counters
   * are on disk and there is no session), smgw-tls when the reconnection's handshakes are over,
   * with the storm they made (undefined where no storm).
   */
  powerRestored(dc: NodeId): Promise<StormReport | undefined>;
  /**
   * A new unit replaces a failed node, as an operator installs one (no revocation lists): it
   * comes with a new credential (lean: new keys, allow-listed out of band; smgw-tls: a new
   * certificate issued by the PKI), and from then on the HES accepts the new unit's credential and
   * no longer the old one's. Resolves when the new unit enrolled. TNs in both modes; DCs too
   * (lean: a new DC unit whose TNs enrol again; smgw-tls: a new router, which holds no credential).
   */
  replace(node: NodeId): Promise<void>;
  /** Counters since the mode was built; see ModeStats. */
  stats(): ModeStats;
  /** Stops every timer and closes the transports; idempotent. State persisted so far stays on disk. */
  close(): Promise<void>;
}

// ---- what a mode is built from --------------------------------------------------------------

/** Where a TN's meter readings come from: its board's S0 counter, or a synthetic meter. */
export interface MeterSource {
  registers(): MeterRegisters;
}

/** What a TN drives when an automation command is accepted: its board's relay. */
export interface RelayActuator {
  /** Switches the relay at once; the board reports the pin change itself. */
  switchRelay(on: boolean, timing: { sentAt: number; receivedAt: number }): unknown;
}

/** The fields of a PLC segment's link profile a mode needs: air time (storm bounds) and the largest frame. */
export interface PlcSegment extends SegmentAirtime {
  readonly maxFrameBytes: number;
}

export interface CryptoBackends {
  readonly hes: CryptoBackend;
  readonly dc: CryptoBackend;
  readonly tn: CryptoBackend;
}

/**
 * Everything a mode is built from (js-libp2p's components): the runner makes it from a scenario
 * (bench/runner/mode-factory.ts), tests and perf scripts through createMode's defaults. Nothing in
 * it names a mode; the mode's own settings come in `options`.
 */
export interface ModeContext<Options> {
  readonly topology: Topology;
  readonly clock: Clock;
  readonly network: Network;
  /** Tagged with the run's tags; nodes add their own. */
  readonly metrics: Metrics;
  /** The mode's own seeded stream (it forks its components' streams from it). */
  readonly random: Random;
  /** Each TN's meter: its board's where it has one, otherwise a synthetic one from the run's seed. */
  readonly meterFor: (tn: NodeId) => MeterSource;
  readonly relayFor: (tn: NodeId) => RelayActuator | undefined;
  /** A TN's CPU time for public-key work (nodes/compute-profile.ts); undefined: no delay. */
  readonly computeFor: (tn: NodeId) => ComputeModel | undefined;
  /** Crypto backend per role, for modes that do their own crypto (lean). */
  readonly crypto: CryptoBackends;
  /** The goal oracle: told what genuine parties send and what every node accepts. */
  readonly observer?: ProtocolObserver;
  /** The store of a node's unit: generation 0 is the unit installed first, 1.. its replacements. */
  readonly storeFor: (node: NodeId, generation: number) => NodeStore;
  /** The nodes this process runs; the others run in other processes of a distributed bench. */
  readonly local: (node: NodeId) => boolean;
  /** Each DC's PLC segment as its link profile has it. */
  readonly plc: (dc: NodeId) => PlcSegment;
  /** How long bootstrap waits for this process's nodes (default: the mode's own). */
  readonly bootstrapTimeoutMs?: number;
  /**
   * The operator's out-of-band channel in a distributed bench (absent in process): see Operator.
   */
  readonly operator?: Operator;
  /** The mode's own options: its scenario section, a host's provisioned state, a test's knobs. */
  readonly options: Options;
}

/**
 * The operator's out-of-band channel of a node process in a distributed bench (docs/DESIGN.md 2.1
 * and 2.2: a replacement unit is the operator's doing, not the wire's).
 */
export interface Operator {
  /**
   * Registers a replacement unit's credential with the HES in another process (what replace()
   * does in process), resolving once the HES admits it.
   */
  register(node: NodeId, credential: unknown): Promise<void>;
  /**
   * A replacement unit's credential, issued on the provisioning side, which holds the roots
   * (ModeDefinition.issueReplacement): a node process never holds a root's key, so a mode whose
   * new units need a certificate from the root asks for it here. Rejects where the mode issues none.
   */
  issue(node: NodeId): Promise<unknown>;
}

/** Parsers of the units scenario files use, handed to a mode's section schema. */
export interface ScenarioUnits {
  /** Milliseconds, from a number or "500ms", "15m", "48h"... */
  readonly duration: z.ZodType<number, unknown>;
  /** Bytes, from a number or "200B", "8KiB", "5MB"... */
  readonly size: z.ZodType<number, unknown>;
}

/**
 * A state directory of a distributed bench (`gridbench provision`): keys and certificates made
 * once, before any node process starts, and each host's share of them.
 */
export interface ProvisionContext<Options> {
  readonly topology: Topology;
  readonly stateDir: string;
  readonly crypto: CryptoBackends;
  readonly options: Options;
  /**
   * The clock the loading host runs on (loadHostState; default real): processes on the real clock
   * come up at different times, the partitions of a partitioned run all at virtual time 0.
   */
  readonly hostClock?: 'real' | 'virtual';
}

/** One registry entry (nodes/modes.ts): everything the bench needs to know about a mode. */
export interface ModeDefinition<Mode extends BenchMode, Options> {
  /** One line for help texts. */
  readonly summary: string;
  /**
   * The scenario's section for this mode, under the mode's name (`smgw-tls: { maxAge: 48h }`),
   * parsed into options; an absent section gives the defaults.
   */
  scenarioSection(units: ScenarioUnits): z.ZodType<Options, unknown>;
  create(ctx: ModeContext<Options>): Mode;
  /** A file under a state directory that shows it was provisioned for this mode. */
  readonly provisionedMarker: string;
  /** Creates (or completes) the mode's keys and certificates in ctx.stateDir; refuses one made for other settings, naming the file. */
  provision(ctx: ProvisionContext<Options>): void;
  /** Copies into hostDir what a process running `nodes` may hold of ctx.stateDir: never a root key, never another node's secret. */
  exportHostState(ctx: ProvisionContext<Options>, hostDir: string, nodes: ReadonlySet<NodeId>): void;
  /** What a process running the `local` nodes loads from its state directory, as options to build the mode with. */
  loadHostState(ctx: ProvisionContext<Options>, local: (node: NodeId) => boolean): Partial<Options>;
  /**
   * A replacement unit's credential, issued from the roots in ctx.stateDir by the operator (the
   * provisioning side of a distributed bench) for the process that runs the node (Operator.issue).
   * Absent where a new unit makes its own credential (lean: new keys whose fingerprint the
   * operator registers).
   */
  issueReplacement?(ctx: ProvisionContext<Options>, node: NodeId): unknown;
}
