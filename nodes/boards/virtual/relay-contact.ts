import type { Clock } from '../../../core/clock';
import type { Random } from '../../../core/random';

export interface RelayTimes {
  /** Operate and release times in ms (a small signal relay: about 10 and 5 ms). */
  readonly closeMs?: number | undefined;
  readonly openMs?: number | undefined;
  /** Uniform extra delay in [0, jitterMs) per actuation, from the seeded stream. */
  readonly jitterMs?: number | undefined;
}

export const RELAY_DEFAULTS = { closeMs: 10, openMs: 5 } as const;

/**
 * A relay on a board's output pin: the coil follows the pin, the contact follows the coil after its
 * operate or release time, and the contact is what the bench wires back to the feedback input.
 * Contact moves keep the order of the coil's, even when a release is quicker than an operate.
 */
export class RelayContact {
  private coil: 0 | 1 = 0;
  private contactLevel: 0 | 1 = 0;
  private contactDueAt = -Infinity;
  /**
   * The levels driven and not yet reached by the contact, oldest first. Each actuation's timer moves
   * the contact to the oldest, not to the level it was set for: a RealClock's timers (node's) may
   * fire out of order when the event loop runs late, and a reset's release firing after the close
   * that followed it left the contact open under a driven coil (the board compliance test, 1 run in
   * 6 on a loaded machine). On a VirtualClock they fire in order and nothing changes.
   */
  private readonly pending: Array<0 | 1> = [];

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly times: RelayTimes,
    private readonly onContact: (level: 0 | 1) => void,
  ) {}

  /** Contact state: 1 = closed. */
  get contact(): 0 | 1 {
    return this.contactLevel;
  }

  /** The level on the coil's output pin. */
  drive(level: 0 | 1): void {
    if (level === this.coil) return;
    this.coil = level;
    const base = level ? (this.times.closeMs ?? RELAY_DEFAULTS.closeMs) : (this.times.openMs ?? RELAY_DEFAULTS.openMs);
    const jitter = this.times.jitterMs ? this.random.float() * this.times.jitterMs : 0;
    const at = Math.max(this.clock.now() + base + jitter, this.contactDueAt);
    this.contactDueAt = at;
    this.pending.push(level);
    this.clock.setTimer(at - this.clock.now(), () => {
      const next = this.pending.shift()!;
      this.contactLevel = next;
      this.onContact(next);
    });
  }
}
