import type { Random } from '../core/random';
import type { JitterSpec, LossSpec } from './profile';

/** Decides, PHY frame by PHY frame, whether one receiver loses it. Stateful for bursty models. */
export interface LossProcess {
  lost(): boolean;
}

/** Gilbert-Elliott: a two-state Markov chain stepped once per PHY frame; each state has its own loss rate. */
class GilbertElliott implements LossProcess {
  private bad = false;
  constructor(
    private readonly spec: Extract<LossSpec, { model: 'gilbert-elliott' }>,
    private readonly random: Random,
  ) {}

  lost(): boolean {
    this.bad = this.bad ? !this.random.chance(this.spec.pBadToGood) : this.random.chance(this.spec.pGoodToBad);
    return this.random.chance(this.bad ? this.spec.lossBad : this.spec.lossGood);
  }
}

/** Independent loss: one draw per PHY frame (a class, not a closure: one per receiver, a million at national scale, issue 13). */
class Bernoulli implements LossProcess {
  constructor(
    private readonly p: number,
    private readonly random: Random,
  ) {}

  lost(): boolean {
    return this.random.chance(this.p);
  }
}

export function createLossProcess(spec: LossSpec, random: Random): LossProcess {
  if (spec.model === 'gilbert-elliott') return new GilbertElliott(spec, random);
  return new Bernoulli(spec.p, random);
}

/** One jitter draw in ms, never negative (see profile.ts for each distribution). */
export function drawJitter(spec: JitterSpec, random: Random): number {
  switch (spec.distribution) {
    case 'none':
      return 0;
    case 'uniform':
      return random.float() * spec.ms;
    case 'normal':
      return Math.abs(random.normal()) * spec.ms;
    case 'exponential':
      return random.exponential(spec.ms);
  }
}
