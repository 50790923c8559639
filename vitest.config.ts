import { defineConfig } from 'vitest/config';

/**
 * Most of the suite runs on the virtual clock and two files at a time (Vitest's default on this
 * 2-core machine would be one). The tests that start a fleet of processes on the real clock
 * (broker, HES, DC and TN hosts), or compare timings with real OpenSSL, run afterwards, two files
 * at a time among themselves: beside the virtual-clock files on two loaded cores fleets missed
 * their own start-up deadlines, but among themselves they mostly wait out their scenarios' real
 * seconds (one at a time they took 421 s of wall time for 163 s of CPU; two at a time 249 s).
 */
const FLEET = [
  'test/runner/processes*.test.ts',
  'test/runner/lab-*.test.ts',
  'test/runner/orphans.test.ts',
  'test/netns/**/*.test.ts',
  'test/fidelity/**/*.test.ts',
];
const ALL = ['test/**/*.test.ts', 'channel/**/*.test.ts', 'nodes/**/*.test.ts', 'bench/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'rest', include: ALL, exclude: FLEET, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'fleet', include: FLEET, maxWorkers: 2, sequence: { groupOrder: 1 } } },
    ],
  },
});
