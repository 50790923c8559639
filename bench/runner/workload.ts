/**
 * The scenario's workload on a mode: meter rounds, automation broadcasts with their relay
 * patterns, confidential messages and firmware rollouts, each at its run time.
 */
import type { Topology } from '../../channel/topology';
import type { NodeId } from '../../nodes/runtime/transport';
import type { Scenario } from '../scenario/schema';
import type { RunnableMode } from './mode-factory';
import type { Schedule } from './schedule';

export function scheduleWorkload(
  scenario: Scenario,
  topology: Topology,
  mode: RunnableMode,
  schedule: Schedule,
  pending: Promise<unknown>[],
): void {
  const { workload, duration } = scenario;
  if (workload.meterRounds) {
    const { timeout, ...when } = workload.meterRounds;
    schedule.add(when, duration, () => pending.push(mode.meterRound(timeout)));
  }
  for (const a of workload.automation) {
    const dcs = a.dc === 'all' ? topology.dcs.map((d) => d.id) : [a.dc];
    const pattern = typeof a.relay === 'string' ? [a.relay] : a.relay;
    schedule.add(a, duration, (i) => {
      for (const dc of dcs) mode.automation(dc, { relay: pattern[i % pattern.length]! });
    });
  }
  for (const c of workload.confidential) schedule.at(c.at, () => mode.confidential(c.tn, new TextEncoder().encode(c.text)));
  for (const f of workload.firmware) {
    schedule.at(f.at, () => {
      const image = new Uint8Array(f.size).map((_, i) => (i * 31 + f.version) & 0xff);
      pending.push(mode.firmware({ version: f.version, image }, f.timeout));
    });
  }
}


export interface WorkloadFacts {
  commands: number;
  addressed: number;
  commandBytes: number[];
  firmwareRollouts: number;
}

/** The mode, counting the commands and rollouts issued to it (by the workload or by campaigns). */
export function countingWorkload(mode: RunnableMode, facts: WorkloadFacts): RunnableMode {
  return {
    name: mode.name,
    bootstrap: () => mode.bootstrap(),
    meterRound: (timeoutMs) => mode.meterRound(timeoutMs),
    automation: (dc, command) => {
      const issued = mode.automation(dc, command);
      facts.commands++;
      facts.addressed += issued.addressed;
      facts.commandBytes.push(issued.segmentBytes);
      return issued;
    },
    confidential: (tn, payload) => mode.confidential(tn, payload),
    firmware: (image, timeoutMs) => {
      facts.firmwareRollouts++;
      return mode.firmware(image, timeoutMs);
    },
    close: () => mode.close(),
    ...(mode.powerRestored ? { powerRestored: (dc: NodeId) => mode.powerRestored!(dc) } : {}),
    ...(mode.keysOf ? { keysOf: (node: NodeId) => mode.keysOf!(node) } : {}),
    ...(mode.replace ? { replace: (node: NodeId) => mode.replace!(node) } : {}),
  };
}

