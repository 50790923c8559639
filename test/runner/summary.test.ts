import { describe, expect, it } from 'vitest';
import { ModeSummarizer, summarizeMode, type ModeFacts } from '../../bench/runner/summary';
import type { Sample } from '../../core/metrics';

const attack = (goal: string, injected: number, accepted: number, rejected: number): Sample => ({
  measurement: 'attack',
  fields: { injected, accepted, rejected },
  tags: { goal, attack: 'campaign' },
  time: 0,
});

const facts: ModeFacts = {
  mode: 'lean',
  bootstrap: { enrolled: 0, failed: [], durationMs: 0 },
  commands: 0,
  addressed: 0,
  commandBytes: [],
  firmwareRollouts: 0,
};

describe('summarizeMode', () => {
  it('tallies attacks per goal, availability (jamming, flooding) included, so the goals add up to the totals', () => {
    const { attacks } = summarizeMode(
      [attack('fresh_authentic_DC', 10, 0, 40), attack('availability', 3000, 0, 2739), attack('availability', 5, 0, 0)],
      facts,
    );
    expect(attacks).toEqual({
      injected: 3015,
      accepted: 0,
      rejected: 2779,
      byGoal: {
        fresh_authentic_DC: { injected: 10, accepted: 0, rejected: 40 },
        availability: { injected: 3005, accepted: 0, rejected: 2739 },
      },
    });
  });

  it('folds latencies as they arrive into k6 percentiles: 1..100 ms -> p50 50.5, p99 99.01 (shown 99), max 100', () => {
    const summarizer = new ModeSummarizer();
    for (let ms = 100; ms >= 1; ms--)
      summarizer.add({ measurement: 'automation_latency', fields: { latency_ms: ms }, tags: { mode: 'lean' }, time: 0 });
    expect(summarizer.summary(facts).automation).toMatchObject({ count: 100, p50Ms: 50.5, p99Ms: 99, maxMs: 100 });
    expect(summarizer.latencies()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
