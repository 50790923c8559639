import type { Random } from '../../core/random';

/** One random mutation of a frame; `donors` are frames to splice from. */
export function mutate(frame: Uint8Array, random: Random, donors: readonly Uint8Array[]): Uint8Array {
  const f = frame.slice();
  switch (random.int(8)) {
    case 0: {
      const flips = 1 + random.int(3);
      for (let i = 0; i < flips; i++) f[random.int(f.length)]! ^= 1 << random.int(8);
      return f;
    }
    case 1:
      f[random.int(f.length)] = random.int(256);
      return f;
    case 2:
      return f.subarray(0, random.int(f.length));
    case 3:
      return Uint8Array.of(...f, ...Array.from({ length: 1 + random.int(8) }, () => random.int(256)));
    case 4: {
      const at = random.int(f.length + 1);
      return Uint8Array.of(...f.subarray(0, at), random.int(256), ...f.subarray(at));
    }
    case 5: {
      const at = random.int(f.length);
      return Uint8Array.of(...f.subarray(0, at), ...f.subarray(at + 1));
    }
    case 6: {
      const other = donors[random.int(donors.length)]!;
      return Uint8Array.of(...f.subarray(0, random.int(f.length)), ...other.subarray(random.int(other.length)));
    }
    default:
      // the header and length bytes are where parsers break: hit the first 24 bytes
      f[random.int(Math.min(24, f.length))] = random.int(256);
      return f;
  }
}
