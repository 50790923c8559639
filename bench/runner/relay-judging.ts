/**
 * The campaign relay's judging (campaign-relay.ts): what the hosts' nodes told the goal oracle, in
 * the order it happened. An event is judged once every host the judging waits for says it has sent
 * all of its events up to the event's time (its batches' upTo), and at least LAG_MS after it: a
 * host's batch that comes late, from a loaded host or across a network, holds the judging back
 * rather than being judged out of order. At the campaign's end what happened up to it is judged,
 * once those hosts have reported up to it (or the wait for one runs out: the verdict is incomplete,
 * naming it), and nothing after it.
 */
import type { Clock } from '../../core/clock';
import type { GoalOracle } from '../../nodes/oracle/goal-oracle';
import { eventTime, type Observed } from './host-messages';
import { HISTORY_LIMITS } from './operator-history';

/** How long after an event's time it is judged at the soonest: above a host's batch period (250 ms) and the IPC's delay. */
const LAG_MS = 1_500;
const DRAIN_MS = 500;
/**
 * How long the end waits for every living host to report up to the campaign's end: a host's batch
 * comes within LAG_MS of its time (the judging's own lag), twice that for a loaded host, and a
 * drain period or two of slack. Bounded: a host that never reports leaves the verdict incomplete.
 */
const FINISH_WAIT_MS = 2 * LAG_MS + 2 * DRAIN_MS;

/** A host as the judging sees it (campaign-relay.ts RelayHost). */
export interface JudgedHost {
  readonly name: string;
  alive(): boolean;
}

export interface RelayJudgingOptions {
  readonly hosts: () => readonly JudgedHost[];
  readonly log: (line: string) => void;
  /** How long a host whose channel went down may still send again what it sent meanwhile (away; default: what a lab host keeps, HISTORY_LIMITS.ms). */
  readonly resendWithinMs?: number;
}

export class RelayJudging {
  private readonly queue: Observed[] = [];
  /** Each host's upTo: it has sent every event of its nodes up to that time. */
  private readonly reportedUpTo = new Map<string, number>();
  /** Hosts whose channel went down and that may still send again what was lost meanwhile: the judging waits for them (away). */
  private readonly awayHosts = new Map<string, NodeJS.Timeout>();
  /** What the verdict misses, each naming its host. */
  private readonly missing: string[] = [];
  private readonly drainer: NodeJS.Timeout;

  constructor(
    private readonly oracle: GoalOracle,
    private readonly clock: Clock,
    private readonly options: RelayJudgingOptions,
  ) {
    this.drainer = setInterval(() => this.drain(Math.min(eventTime() - LAG_MS, this.reported())), DRAIN_MS);
  }

  /** A host's events of its own nodes, and the time up to which it has sent all of them. */
  take(host: string, events: readonly Observed[], upTo: number | undefined): void {
    // one at a time: spread as arguments, a batch above ~125,000 events throws RangeError
    for (const e of events) this.queue.push(e);
    if (upTo !== undefined) this.reportedUpTo.set(host, Math.max(upTo, this.reportedUpTo.get(host) ?? -Infinity));
  }

  /** A host said something: if it was away, it is back, and what it missed comes first, in order (operator-channel.ts), its upTo with it. */
  back(host: string): void {
    clearTimeout(this.awayHosts.get(host));
    this.awayHosts.delete(host);
  }

  /** A host ended (a --processes child): the judging does not wait for its batches. */
  gone(host: string): void {
    this.reportedUpTo.delete(host);
  }

  /**
   * A host's channel went down (a lab host: the network, or the host stopped): the judging does not
   * pass its upTo. What it sends meanwhile is lost to the channel and sent again when it comes back
   * (operator-channel.ts numbers its messages): judged past them, the acceptance of a command whose
   * sending is among them would be a violation that never was. When it cannot send them again any
   * more (resendWithinMs), they are declared lost: the verdict is incomplete, naming it, and the
   * judging goes on without it.
   */
  away(host: string): void {
    if (this.awayHosts.has(host)) return;
    const withinMs = this.options.resendWithinMs ?? HISTORY_LIMITS.ms;
    this.awayHosts.set(
      host,
      setTimeout(() => {
        this.awayHosts.delete(host);
        if (
          this.options
            .hosts()
            .find((h) => h.name === host)
            ?.alive()
        )
          return;
        this.reportedUpTo.delete(host);
        const line = `${host}: its channel was down over ${withinMs / 1000} s, longer than it keeps what it sends: its events meanwhile are lost`;
        this.missing.push(line);
        this.options.log(`${line}; the verdict is incomplete`);
      }, withinMs),
    );
  }

  /**
   * The campaign's end: judges the events up to `horizon` once every host it waits for has
   * reported up to it, waiting at most FINISH_WAIT_MS (judged before a host's batches are in, its
   * node's sending would come after the acceptance of what it sent, a violation that never was).
   * A host still short of the horizon then has its later events, and what the others reported
   * after its last batch, left unjudged and named in what is returned, the verdict's incomplete.
   * Events after the horizon are not the campaign's: counted and logged, not judged.
   */
  async end(horizon: number): Promise<string[]> {
    clearInterval(this.drainer);
    const deadline = this.clock.now() + FINISH_WAIT_MS;
    while (this.reported() < horizon && this.clock.now() < deadline) await this.clock.sleep(DRAIN_MS / 5);
    this.drain(Math.min(horizon, this.reported()));
    const unjudged = this.queue.filter((e) => e.at <= horizon).length;
    const short = this.waitedFor()
      .filter((h) => (this.reportedUpTo.get(h.name) ?? -Infinity) < horizon)
      .map((h) => {
        const upTo = this.reportedUpTo.get(h.name);
        const what =
          upTo === undefined ? 'reported none of its events' : `reported its events up to ${Math.round(horizon - upTo)} ms before it only`;
        return `${h.name}: at the campaign's end it ${what} (waited ${FINISH_WAIT_MS / 1000} s); ${unjudged} event(s) of the hosts from then on to the end were not judged`;
      });
    for (const line of short) this.options.log(`${line}; the verdict is incomplete`);
    const after = this.queue.length - unjudged;
    if (after)
      this.options.log(
        `${after} event(s) the hosts reported after the campaign's end were not judged: the campaign's verdict is about its own time`,
      );
    this.queue.length = 0;
    for (const timer of this.awayHosts.values()) clearTimeout(timer);
    this.awayHosts.clear();
    return [...this.missing, ...short];
  }

  /** The time up to which every host the judging waits for has sent its events (-Infinity while one has sent none). */
  private reported(): number {
    let upTo = Infinity;
    for (const h of this.waitedFor()) upTo = Math.min(upTo, this.reportedUpTo.get(h.name) ?? -Infinity);
    return upTo;
  }

  /** The hosts whose events the judging waits for: the living, and those away that may still send again what they missed. */
  private waitedFor(): JudgedHost[] {
    return this.options.hosts().filter((h) => h.alive() || this.awayHosts.has(h.name));
  }

  private drain(until: number): void {
    if (!this.queue.some((e) => e.at <= until)) return;
    const due = this.queue.filter((e) => e.at <= until).sort((a, b) => a.at - b.at);
    const rest = this.queue.filter((e) => e.at > until);
    this.queue.length = 0;
    for (const e of rest) this.queue.push(e);
    for (const e of due) applyObserved(this.oracle, e);
  }
}

/** Tells the oracle one event a host's nodes observed (the relay's judging, and a partitioned run's coordinator). */
export function applyObserved(oracle: GoalOracle, e: Observed): void {
  if (e.kind === 'issued') oracle.issued(e.certificate);
  else if (e.kind === 'sent') oracle.sent(e.sender, e.signed, e.recipient);
  else if (e.kind === 'accepted') oracle.accepted(e.acceptance);
  else oracle.replaced(e.node);
}
