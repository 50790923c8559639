/** What the perf:channel measurements share: the real clock, the test frame, progress lines on stderr. */
export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
export const log = (msg: string): void => void process.stderr.write(`perf:channel: ${msg}\n`);

/** 64 bytes with the wire header of a meter response. */
export const FRAME = (() => {
  const f = new Uint8Array(64);
  f[0] = 1;
  f[1] = 0x11;
  return f;
})();
