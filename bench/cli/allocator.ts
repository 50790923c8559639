/**
 * The C allocator of the processes gridbench starts for large runs (issue 13). Much of a large
 * run's memory is malloc's, not V8's: OpenSSL's state of every smgw-tls TN (a SecureContext and two
 * TLS ends, about 120 KB per TN at city-100k with what malloc keeps), and glibc's malloc kept what
 * the handshakes freed in free lists it did not give back. jemalloc, preloaded, gives pages back
 * and allocates OpenSSL's many small objects faster: side by side on this machine (README, perf
 * table) city-100k smgw-tls at 10 DCs peaked at 1,681 instead of 2,052 MB in 90.1 instead of
 * 105.7 s of CPU, utility-48h smgw-tls at 2 DCs at 781 instead of 879 MB in 86.3 instead of 103.9 s.
 *
 * The dynamic linker reads LD_PRELOAD as a process starts, so only processes gridbench starts run
 * on it: perf:scale's children and a run started again for its heap limit (heap-limit.ts). It is
 * Debian's libjemalloc2; without it they run on glibc's malloc. GRIDBENCH_MALLOC=glibc keeps
 * glibc's, and an LD_PRELOAD of the user's own is left as it is. Results say which ran.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ALLOCATOR_ENV = 'GRIDBENCH_MALLOC';
export type Allocator = 'jemalloc' | 'glibc';
const LIBRARY = 'libjemalloc.so.2';

/** Debian's libjemalloc2 in this machine's library directories (multiarch first), if installed. */
export function jemallocPath(roots: readonly string[] = ['/usr/lib', '/usr/lib64', '/lib']): string | undefined {
  for (const root of roots) {
    let dirs: string[];
    try {
      dirs = readdirSync(root).filter((d) => d.endsWith('-linux-gnu'));
    } catch {
      continue;
    }
    for (const dir of [...dirs.map((d) => join(root, d)), root]) if (existsSync(join(dir, LIBRARY))) return join(dir, LIBRARY);
  }
  return undefined;
}

/** The allocator asked for: jemalloc unless GRIDBENCH_MALLOC says glibc; anything else is an error naming it. */
export function wantedAllocator(env: NodeJS.ProcessEnv = process.env): Allocator {
  const value = env[ALLOCATOR_ENV];
  if (value === undefined || value === '' || value === 'jemalloc') return 'jemalloc';
  if (value === 'glibc') return 'glibc';
  throw new Error(`${ALLOCATOR_ENV}=${value}: expected jemalloc or glibc`);
}

/** The environment a process gridbench starts for a large run gets: LD_PRELOAD of jemalloc when wanted and installed. */
export function allocatorEnv(env: NodeJS.ProcessEnv = process.env, find: () => string | undefined = jemallocPath): NodeJS.ProcessEnv {
  if (wantedAllocator(env) === 'glibc' || env.LD_PRELOAD) return env;
  const library = find();
  if (library === undefined) return env;
  return { ...env, LD_PRELOAD: library };
}

/** The allocator this process runs on, read from its own mappings (what was loaded, not what was asked for). */
export function runningAllocator(maps = '/proc/self/maps'): Allocator {
  try {
    return readFileSync(maps, 'utf8').includes('libjemalloc') ? 'jemalloc' : 'glibc';
  } catch {
    return 'glibc';
  }
}
