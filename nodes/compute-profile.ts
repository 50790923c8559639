/**
 * How long a TN's CPU takes for its public-key operations, so that a TN emulated on the host can
 * be as slow as the microcontroller it stands for. The TN delays a message's effect on its own
 * clock by the cost of the operations it did for it: both TNs (nodes/lean/tn.ts, nodes/smgw-tls/tn-node.ts)
 * take `computeModel(...)` and run their work on a `TnCpu`; `computeDelay(...)` awaits one cost.
 *
 * Operations (lean mode's hybrid scheme, docs/DESIGN.md 2.1):
 *   sign     ECDSA P-256 signature
 *   verify   ECDSA P-256 verification
 *   encrypt  ephemeral P-256 key pair + ECDH + HKDF-SHA-256 + AES-GCM (key generation + ECDH)
 *   decrypt  ECDH + HKDF-SHA-256 + AES-GCM (ECDH)
 * The symmetric parts of a short message cost microseconds on these CPUs and are left out.
 *
 * Sources of the figures:
 *   cortex-m4-*   Emill/P256-Cortex-M4 README, "Performance": nRF52840 (Cortex-M4F), GCC -O2, ICACHE
 *                 on: key generation 327k cycles, sign 375k, verify 976k, ECDH shared secret 906k
 *                 (5.1 / 5.9 / 15.3 / 14.2 ms at 64 MHz). https://github.com/Emill/P256-Cortex-M4
 *                 At 168 MHz (STM32F4 top clock) the same cycle counts are used; that assumes the
 *                 flash accelerator hides wait states, so treat it as the fast end.
 *   cortex-m4-48mhz-generic   newAM/p256-cm4 README, "Comparisons", measured on an STM32WLE5
 *                 (Cortex-M4, 48 MHz): RustCrypto p256 sign 7,856,436 cycles, verify 14,303,277.
 *                 ECDH and key generation are not in that table; ECDH is taken as verify's count
 *                 (a verification does two scalar multiplications, ECDH one, so this errs slow) and
 *                 key generation as sign's (both are one fixed-base multiplication).
 *                 https://github.com/newAM/p256-cm4
 *   host          @noble/curves 2.x README, "Speed", Apple M4: p256 sign 243 us, verify 1.09 ms,
 *                 getSharedSecret 1.36 ms, getPublicKey 212 us (the TN backend the bench ships).
 *   none          no delay: the crypto's own run time is all there is (a RealClock run on the host).
 */
import type { Clock, TimerHandle } from '../core/clock';

export type CryptoOp = 'sign' | 'verify' | 'encrypt' | 'decrypt';

export const CRYPTO_OPS: readonly CryptoOp[] = ['sign', 'verify', 'encrypt', 'decrypt'];

/** Time the TN's CPU needs for a list of crypto operations, in ms. */
export type ComputeModel = (ops: readonly CryptoOp[]) => number;

export interface ComputeProfile {
  readonly name: string;
  /** Milliseconds per operation. */
  readonly opMs: Readonly<Record<CryptoOp, number>>;
  /** Where the figures come from. */
  readonly source: string;
}

interface P256Cycles {
  readonly keygen: number;
  readonly sign: number;
  readonly verify: number;
  readonly ecdh: number;
}

/** A profile from published cycle counts at a clock frequency. */
export function profileFromCycles(name: string, cycles: P256Cycles, mhz: number, source: string): ComputeProfile {
  const ms = (c: number): number => c / (mhz * 1_000);
  return {
    name,
    source,
    opMs: { sign: ms(cycles.sign), verify: ms(cycles.verify), encrypt: ms(cycles.keygen + cycles.ecdh), decrypt: ms(cycles.ecdh) },
  };
}

const EMILL_NRF52840: P256Cycles = { keygen: 327_000, sign: 375_000, verify: 976_000, ecdh: 906_000 };
const EMILL_SOURCE = 'Emill/P256-Cortex-M4 README (nRF52840, GCC -O2): cycle counts';
const RUSTCRYPTO_STM32WLE5: P256Cycles = { keygen: 7_856_436, sign: 7_856_436, verify: 14_303_277, ecdh: 14_303_277 };

export const COMPUTE_PROFILES = {
  none: { name: 'none', source: 'no modelled delay', opMs: { sign: 0, verify: 0, encrypt: 0, decrypt: 0 } },
  host: {
    name: 'host',
    source: '@noble/curves 2.x README benchmark (Apple M4)',
    opMs: { sign: 0.243, verify: 1.09, encrypt: 0.212 + 1.36, decrypt: 1.36 },
  },
  'cortex-m4-64mhz': profileFromCycles('cortex-m4-64mhz', EMILL_NRF52840, 64, EMILL_SOURCE),
  'cortex-m4-168mhz': profileFromCycles('cortex-m4-168mhz', EMILL_NRF52840, 168, EMILL_SOURCE),
  'cortex-m4-48mhz-generic': profileFromCycles(
    'cortex-m4-48mhz-generic',
    RUSTCRYPTO_STM32WLE5,
    48,
    'newAM/p256-cm4 README (STM32WLE5, RustCrypto p256): cycle counts',
  ),
} as const satisfies Record<string, ComputeProfile>;

export type ComputePresetName = keyof typeof COMPUTE_PROFILES;

/**
 * A profile by preset name, optionally with some operations overridden (ms), as a scenario gives
 * it. An unknown name or a negative time is a clear error naming the field.
 */
export function computeProfile(preset: string, overrides: Partial<Record<CryptoOp, number>> = {}): ComputeProfile {
  const base = (COMPUTE_PROFILES as Record<string, ComputeProfile>)[preset];
  if (!base) {
    throw new Error(`compute profile: unknown preset "${preset}" (one of ${Object.keys(COMPUTE_PROFILES).join(', ')})`);
  }
  for (const [op, ms] of Object.entries(overrides)) {
    if (!CRYPTO_OPS.includes(op as CryptoOp)) throw new Error(`compute profile: unknown operation "${op}" (${CRYPTO_OPS.join(', ')})`);
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw new Error(`compute profile: ${op} must be >= 0 ms, got ${String(ms)}`);
  }
  if (Object.keys(overrides).length === 0) return base;
  return {
    name: `${base.name}+overrides`,
    source: `${base.source}; overridden: ${Object.keys(overrides).join(', ')}`,
    opMs: { ...base.opMs, ...overrides },
  };
}

/** Milliseconds the profile's CPU needs for the operations, in order. */
export function computeCostMs(profile: ComputeProfile, ops: readonly CryptoOp[]): number {
  let ms = 0;
  for (const op of ops) ms += profile.opMs[op];
  return ms;
}

/** The TN's compute model: operations in, milliseconds out (what both TNs take). */
export function computeModel(profile: ComputeProfile): ComputeModel {
  return (ops) => computeCostMs(profile, ops);
}

/**
 * A TN's one CPU on the node's clock: public-key work waits until the work before it is done, as
 * on a microcontroller, and an effect that waits on it is dropped once the node has stopped, so a
 * closed unit switches no relay and sends nothing. Without a model the work costs nothing.
 */
export class TnCpu {
  private busyUntil = 0;
  /** Bumped by a power cut or close: work queued before it never completes. */
  private generation = 0;
  private stopped = false;
  /** Effects waiting on the CPU: a power cut or close cancels them (made on first use: most TNs rarely wait, issue 13). */
  private waiting: Set<TimerHandle> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly model: ComputeModel | undefined,
  ) {}

  /** Occupies the CPU with the operations after what it is already doing; returns when it is done. */
  occupy(ops: readonly CryptoOp[]): number {
    const now = this.clock.now();
    const costMs = this.model?.(ops) ?? 0;
    if (!(costMs > 0)) return now;
    this.busyUntil = Math.max(this.busyUntil, now) + costMs;
    return this.busyUntil;
  }

  /** Runs an effect once the CPU has done the operations it needs (at once if they cost nothing). */
  after(ops: readonly CryptoOp[], effect: () => void): void {
    if (this.stopped) return;
    const delay = this.occupy(ops) - this.clock.now();
    if (delay <= 0) return effect();
    const generation = this.generation;
    const waiting = (this.waiting ??= new Set());
    const timer = this.clock.setTimer(delay, () => {
      waiting.delete(timer);
      if (generation === this.generation) effect();
    });
    waiting.add(timer);
  }

  /** The CPU came back from a power cut: what it was computing is lost, new work starts now. */
  restart(): void {
    this.busyUntil = 0;
    this.generation++;
    this.cancelWaiting();
  }

  /** The node closed: no effect still waiting on the CPU takes place, and none is taken on. */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.cancelWaiting();
  }

  private cancelWaiting(): void {
    if (!this.waiting) return;
    for (const timer of this.waiting) timer.cancel();
    this.waiting.clear();
  }
}

/** Waits on the node's clock for as long as the profile's CPU needs for the operations. */
export function computeDelay(clock: Clock, profile: ComputeProfile, ops: readonly CryptoOp[]): Promise<void> {
  const ms = computeCostMs(profile, ops);
  return ms > 0 ? clock.sleep(ms) : Promise.resolve();
}
