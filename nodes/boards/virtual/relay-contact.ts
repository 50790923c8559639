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
    this.clock.setTimer(at - this.clock.now(), () => {
      this.contactLevel = level;
      this.onContact(level);
    });
  }
}
