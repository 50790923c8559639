/**
 * The scenario's workload on a mode: meter rounds, automation broadcasts with their relay
 * patterns, confidential messages and firmware rollouts, each at its run time.
 */
import { NO_METRICS, type Metrics } from '../../core/metrics';
import type { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';
import type { Scenario } from '../scenario/schema';
import type { RunnableMode } from './mode-factory';
import { emitEvent } from './run-events';
import type { Schedule } from './schedule';

/**
 * `local` tells which originators run here: in a distributed bench each process issues only what
 * its own nodes originate (the HES: meter rounds, confidential messages, firmware; a segment's
 * automation issuer, as the mode names it: its automation commands; every process with a node of
 * a segment: the segment's grid events, each for its own nodes).
 */
export function scheduleWorkload(
  scenario: Scenario,
  topology: Topology,
  mode: RunnableMode,
  schedule: Schedule,
  pending: Promise<unknown>[],
  local: (node: NodeId) => boolean = () => true,
): void {
  const { workload, duration } = scenario;
  // The TNs are what loses power (their sessions live in the TN hosts); the DC too.
  const segmentHere = (dc: NodeId) => local(dc) || topology.tnsOf(dc).some(local);
  for (const e of scenario.events) if (segmentHere(e.powerRestored)) schedule.at(e.at, () => mode.powerRestored(e.powerRestored));
  for (const a of workload.automation) {
    const dcs = (a.dc === 'all' ? topology.dcs.map((d) => d.id) : [a.dc]).filter((dc) => local(mode.automationIssuer(dc)));
    const pattern = typeof a.relay === 'string' ? [a.relay] : a.relay;
    if (dcs.length)
      schedule.add(a, duration, (i) => {
        for (const dc of dcs) mode.automation(dc, { relay: pattern[i % pattern.length]! });
      });
  }
  if (!local(topology.hes)) return;
  if (workload.meterRounds) {
    const { timeout, ...when } = workload.meterRounds;
    schedule.add(when, duration, () => pending.push(mode.meterRound(timeout).then(forget)));
  }
  for (const c of workload.confidential) schedule.at(c.at, () => mode.confidential(c.tn, new TextEncoder().encode(c.text)));
  for (const f of workload.firmware) {
    schedule.at(f.at, () => {
      const image = new Uint8Array(f.size).map((_, i) => (i * 31 + f.version) & 0xff);
      pending.push(mode.firmware({ version: f.version, image }, f.timeout).then(forget));
    });
  }
}

/**
 * What `pending` keeps of an operation once it is done: nothing. The run only waits for them,
 * and a meter round's report holds every TN's reading (49 rounds of 10,000 TNs in utility-48h).
 */
const forget = (): void => {};

export interface WorkloadFacts {
  commands: number;
  addressed: number;
  commandBytes: number[];
  firmwareRollouts: number;
}

/**
 * The mode, counting the commands and rollouts issued to it (by the workload or by campaigns);
 * with `metrics`, each command is an `automation_command` sample and each power restoration an
 * event (run-events.ts).
 */
export function countingWorkload(mode: RunnableMode, facts: WorkloadFacts, metrics: Metrics = NO_METRICS): RunnableMode {
  return {
    name: mode.name,
    bootstrap: () => mode.bootstrap(),
    meterRound: (timeoutMs) => mode.meterRound(timeoutMs),
    automationIssuer: (dc) => mode.automationIssuer(dc),
    automation: (dc, command) => {
      const issued = mode.automation(dc, command);
      facts.commands++;
      facts.addressed += issued.addressed;
      facts.commandBytes.push(issued.segmentBytes);
      metrics.emit('automation_command', { addressed: issued.addressed, bytes: issued.segmentBytes }, { segment: dc, dc });
      return issued;
    },
    confidential: (tn, payload) => mode.confidential(tn, payload),
    firmware: (image, timeoutMs) => {
      facts.firmwareRollouts++;
      return mode.firmware(image, timeoutMs);
    },
    powerRestored: (dc) => {
      emitEvent(metrics, 'power-restored', `power restored on ${dc}: every TN of the segment lost and regained power`, { segment: dc, dc });
      return mode.powerRestored(dc);
    },
    replace: (node) => mode.replace(node),
    stats: () => mode.stats(),
    close: () => mode.close(),
    ...(mode.keysOf ? { keysOf: (node: NodeId) => mode.keysOf!(node) } : {}),
    ...(mode.admit ? { admit: (node: NodeId, credential: unknown) => mode.admit!(node, credential) } : {}),
    ...(mode.reenrol ? { reenrol: (dc: NodeId) => mode.reenrol!(dc) } : {}),
  };
}
