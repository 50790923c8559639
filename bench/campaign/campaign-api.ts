/**
 * What a TypeScript campaign receives: `export default async function (api: CampaignApi) {...}`.
 * It runs from the start of the run (after bootstrap) on the run's clock; `await api.at(t)` waits
 * for run time t. Frames an attacker puts on the wire count against the goal it was asked for.
 *
 *   export default async function (api: CampaignApi) {
 *     const attacker = api.attacker('fresh_authentic_DC');
 *     const seen = attacker.record({ link: 'plc:dc1', class: 'automation' });
 *     await api.at(120_000);
 *     for (const frame of seen.frames) attacker.replay(frame);
 *   }
 */
import type { Attacker } from '../attack/attacker';
import type { Topology } from '../../core/topology';
import type { ModeName } from '../../nodes/modes';
import type { Clock } from '../../core/clock';
import type { RunnableMode } from '../runner/mode-factory';
import type { CampaignGoal } from './goals';

export interface CampaignApi {
  readonly name: string;
  readonly modeName: ModeName;
  readonly mode: RunnableMode;
  readonly topology: Topology;
  readonly clock: Clock;
  /** The attacker whose frames count against `goal`; one per goal, shared across calls. */
  attacker(goal: CampaignGoal): Attacker;
  /** Resolves when the run reaches run time `runTimeMs` (ms since bootstrap ended). */
  at(runTimeMs: number): Promise<void>;
  sleep(ms: number): Promise<void>;
  /**
   * Waits until `done()` holds, checked at once and after each frame a recording of the run's
   * attackers takes, for at most `within` ms (scaled as sleep's): true when it held, false at the
   * bound, when the campaign's log says `what` was not there. A campaign that acts on what it
   * recorded waits for it with this rather than assuming a time: under --processes a frame reaches
   * the attacker's recording over the broker's attack port, later than the run's clock says it
   * was sent, and later still on a loaded machine.
   */
  until(done: () => boolean, options: { readonly within: number; readonly what: string }): Promise<boolean>;
  /**
   * Reports that the attack succeeded against `goal` in a way no node can notice (the attacker
   * read a confidential message, say): counted as an accepted violation of that goal. After the
   * run's end (a rollout cut short by the closing) it is logged, not counted.
   */
  breach(goal: CampaignGoal, detail: string): void;
  log(message: string): void;
}

/** What a campaign module exports: the function, and optionally its name and thresholds. */
export interface CampaignModuleExports {
  readonly default: CampaignModule;
  readonly name?: string;
  readonly thresholds?: Readonly<Record<string, readonly string[]>>;
}

export type CampaignModule = (api: CampaignApi) => Promise<void> | void;
