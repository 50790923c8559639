/**
 * The `event` measurement (core/measurements.ts): what a person wants to see on the dashboard's
 * time axis. Who acts emits it (the campaign runner a step, the workload a power restoration);
 * what already is a sample (a storm, a board reset) becomes an event where every sample of a run
 * passes (run-results.ts), so in-process and --processes runs get the same events.
 */
import type { Metrics, Sample, Tags } from '../../core/metrics';
import { stormBound } from './storm-bound';

export type EventKind = 'campaign-step' | 'power-restored' | 'storm' | 'board-reset';

export const EVENT_KINDS: readonly EventKind[] = ['campaign-step', 'power-restored', 'storm', 'board-reset'];

export function emitEvent(metrics: Metrics, kind: EventKind, text: string, tags: Tags = {}): void {
  metrics.emit('event', { text, duration_ms: 0 }, { ...tags, kind });
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));

/** The event a sample stands for, timed where it happened (a storm at its start), or undefined. */
export function eventOf(sample: Sample): Sample | undefined {
  const { tags, fields } = sample;
  if (sample.measurement === 'storm') {
    const durationMs = num(fields.duration_s) * 1000;
    const bound = stormBound(fields);
    const text =
      `renegotiation storm on ${tags.segment ?? tags.dc ?? '?'} (${tags.reason ?? 'unknown reason'}): ${num(fields.tns)} TNs ` +
      `re-handshook in ${num(fields.duration_s).toFixed(1)} s, bound ${bound === null ? 'not computed' : `${bound.toFixed(1)} s`}`;
    return { measurement: 'event', tags: pick(tags, 'storm'), fields: { text, duration_ms: durationMs }, time: sample.time - durationMs };
  }
  if (sample.measurement === 'board' && tags.status === 'reset') {
    const text = `board of ${tags.tn ?? '?'} (${tags.board ?? '?'}) reset: ${String(fields.error ?? '') || 'it announced its firmware again'}`;
    return { measurement: 'event', tags: pick(tags, 'board-reset'), fields: { text, duration_ms: 0 }, time: sample.time };
  }
  return undefined;
}

/** The run tags and where it happened; the source's other tags (reason, status) are in the text. */
function pick(tags: Tags, kind: EventKind): Tags {
  const kept: Record<string, string> = { kind };
  for (const key of ['run', 'scenario', 'mode', 'segment', 'dc', 'tn'])
    if (tags[key] !== undefined && tags[key] !== '') kept[key] = tags[key]!;
  return kept;
}
