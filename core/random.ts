import { sha256 } from '@noble/hashes/sha2.js';

/**
 * The bench's only source of simulation randomness (loss draws, jitter, reconnect offsets, load
 * profiles). A run logs its seed; every component forks its own stream by a stable label, so
 * adding a component or a draw in one place does not shift the draws anywhere else.
 * Not for keys or nonces: those come from the crypto backend's CSPRNG.
 */
const utf8 = new TextEncoder();

/**
 * The same text as one flat string. A name made by a template literal (`link/${name}/...`) is a
 * chain of cons strings in V8's heap; normalize() gives the flat string behind it, and for the
 * one-byte text of labels NFC is the text itself (checked, so that no label could change).
 */
function flat(text: string): string {
  const flattened = text.normalize();
  return flattened === text ? flattened : text;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * A fork keeps its parent and its own name, not its whole label: a label built by appending is
   * a chain of cons strings in V8's heap, and a run holds three streams per TN (issue 13).
   */
  private readonly parent: Random | undefined;
  private readonly name: string;

  constructor(seed: string | number, label?: string);
  constructor(seed: string | number, name: string, parent: Random);
  constructor(
    readonly seed: string | number,
    name = '',
    parent?: Random,
  ) {
    this.parent = parent;
    this.name = flat(name);
    const digest = sha256(utf8.encode(`${seed}\u0000${this.label}`));
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    this.a = view.getUint32(0);
    this.b = view.getUint32(4);
    this.c = view.getUint32(8);
    this.d = view.getUint32(12) | 1;
  }

  /** The stream's label path: its forks' names from the root, joined by "/". */
  get label(): string {
    const parentLabel = this.parent?.label;
    return parentLabel ? `${parentLabel}/${this.name}` : this.name;
  }

  /** An independent stream, the same for the same seed and label path. */
  fork(label: string): Random {
    return new Random(this.seed, label, this);
  }

  /** sfc32: small, fast, passes PractRand to 2^40 bytes; ample for channel draws. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /**
   * A retry wait: `ms` scaled by a uniform draw from [0.5, 1.5), so that units that failed together
   * do not try again together (smgw-tls reconnects, lean registrations).
   */
  jittered(ms: number): number {
    return ms * (0.5 + this.float());
  }

  /** Standard normal draw (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** Exponential draw with the given mean. */
  exponential(mean: number): number {
    let u = 0;
    while (u === 0) u = this.float();
    return -Math.log(u) * mean;
  }
}
