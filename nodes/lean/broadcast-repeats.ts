/**
 * An optional repetition policy for a lean DC's automation broadcasts. A broadcast on a PLC
 * segment has no link-layer retry and no acknowledgement (docs/DESIGN.md 2.1), so each TN misses
 * what its medium loses: at 2 % loss, 2 % of the TNs miss each command. With this policy the DC
 * sends the same frame `repeats` more times, `spacingMs` apart; every copy is counted in the
 * command's bytes. A copy carries the same counter and signature, so a TN accepts the command
 * once, from the first copy it gets, and refuses the later ones by its counter.
 *
 * A TN tells the copies it expects from a replay as far as it can: a copy of the command it
 * accepted last, byte for byte, while the policy's copies can still come (within (repeats + 1)
 * spacings of its acceptance) is a `duplicate-command`; anything older or later is
 * `stale-counter`, as before. A replay of the newest command inside that window cannot be told
 * from a genuine copy by its bytes and is refused as a duplicate (the bench still attributes it
 * to its attack); it is as harmless as one.
 *
 * Why a fixed number of repeats, and not "until the DC heard from its TNs": the DC cannot know
 * who heard a broadcast without an acknowledgement from each TN. One would be a TN-signed frame
 * (about 80 bytes with its 64-byte signature) per TN and command, 50 of them on a segment of 50
 * TNs: about the bytes of smgw-tls's fan-out, on a half-duplex medium, to save a few 79-byte
 * copies; and an attacker who blocked them would make the DC repeat, one who forged them
 * (impossible without the TN's key) would stop it. Independent loss p leaves a TN without any of
 * 1 + repeats copies with probability p^(1 + repeats): 2 repeats at 2 % is 8 in a million.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { equalBytes } from '../../core/bytes';

export interface BroadcastRepeats {
  /** Copies sent after the first (0: the protocol as designed). */
  readonly repeats: number;
  readonly spacingMs: number;
}

/** The most repeats a scenario may ask for: each is a frame on the segment. */
export const MAX_REPEATS = 10;

/** The DC side: sends a command's copies on the clock; a newer command cancels the older one's. */
export class BroadcastRepeater {
  private timers: TimerHandle[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly policy: BroadcastRepeats,
    /** Puts one copy on the segment, its measurement time the command's issue (latency counts from there). */
    private readonly send: (frame: Uint8Array, issuedAt: number) => void,
  ) {}

  /** Copies the command puts on the segment, the first one included. */
  get copies(): number {
    return 1 + this.policy.repeats;
  }

  /** Schedules the repeats of a command just sent; the newer command supersedes what is left of the last one. */
  repeat(frame: Uint8Array, issuedAt: number): void {
    this.stop();
    for (let i = 1; i <= this.policy.repeats; i++)
      this.timers.push(this.clock.setTimer(i * this.policy.spacingMs, () => this.send(frame, issuedAt)));
  }

  stop(): void {
    for (const timer of this.timers) timer.cancel();
    this.timers = [];
  }
}

/** The TN side: which copies of the command it accepted last are its DC's repeats. */
export class RepeatWindow {
  private last: { frame: Uint8Array; at: number } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly policy: BroadcastRepeats,
  ) {}

  accepted(frame: Uint8Array): void {
    this.last = { frame: frame.slice(), at: this.clock.now() };
  }

  /** True for a copy of the command accepted last while its DC's repeats can still come. */
  isRepeat(frame: Uint8Array): boolean {
    const last = this.last;
    if (!last || this.clock.now() - last.at > (this.policy.repeats + 1) * this.policy.spacingMs) return false;
    return equalBytes(frame, last.frame);
  }
}
