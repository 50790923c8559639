/**
 * Durations and sizes as people write them in scenario files: "500ms", "2.5s", "15m", "48h",
 * "7d" (a bare number is milliseconds); "200B", "8KiB", "5MB" (a bare number is bytes).
 */
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "500ms", "2.5s", "15m", "1h30m", "9m30s". */
export function parseDuration(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d))+$/.test(compact)) return undefined;
  let ms = 0;
  for (const [, value, unit] of compact.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(value) * DURATION_UNITS[unit!]!;
  return ms;
}

export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  const unit = m && SIZE_UNITS[m[2]!.toLowerCase()];
  return unit ? Math.round(Number(m[1]) * unit) : undefined;
}

/** Milliseconds, from a number or a string with a unit. */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 30s, 15m, 1h30m, got "${v}"` });
    return z.NEVER;
  }
  return ms;
});

/** Bytes, from a number or a string with a unit. */
export const sizeSchema = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size such as 200B, 8KiB, 5MB, got "${v}"` });
    return z.NEVER;
  }
  return bytes;
});

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
