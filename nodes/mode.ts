import type { NodeId } from '../core/transport';

/**
 * One security architecture deployed on a topology: lean (signed multicast, signed+encrypted
 * unicast) or smgw-tls (a TLS channel per TN). The runner drives both through this interface with
 * the same workload, on the same emulated wire and seed, so their numbers can sit side by side.
 *
 * Methods that wait for the network resolve as the clock runs: on a VirtualClock the caller
 * keeps `clock.run()` going (the runner does) while awaiting them.
 */
export const MODE_NAMES = ['lean', 'smgw-tls'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

export interface RelayCommand {
  /** Relay state the TNs must switch to. */
  readonly relay: 'on' | 'off';
}

export interface BootstrapReport {
  readonly enrolled: number;
  readonly failed: readonly NodeId[];
  readonly durationMs: number;
}

export interface MeterRoundReport {
  /** HES counter of the request (lean) or round number (smgw-tls). */
  readonly round: number;
  readonly durationMs: number;
  readonly responses: number;
  readonly missing: readonly NodeId[];
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
  readonly installed: number;
  readonly missing: readonly NodeId[];
  readonly durationMs: number;
}

export interface BenchMode {
  readonly name: ModeName;
  /** Enrols every node (lean: CSRs and certificates; smgw-tls: PKI and first handshakes). */
  bootstrap(): Promise<BootstrapReport>;
  /** One meter reading round over every enrolled TN; resolves when all answered or on timeout. */
  meterRound(timeoutMs: number): Promise<MeterRoundReport>;
  /** An automation command for every TN of one DC's segment. Acceptance is measured by the TNs. */
  automation(dc: NodeId, command: RelayCommand): AutomationReport;
  /** A confidential message for one TN. */
  confidential(tn: NodeId, payload: Uint8Array): void;
  /** Rolls a firmware image out to every TN; resolves when all installed it or on timeout. */
  firmware(image: FirmwareImage, timeoutMs: number): Promise<FirmwareReport>;
  /** Stops timers and closes transports. State persisted so far stays on disk. */
  close(): Promise<void>;
}
