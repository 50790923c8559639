/**
 * A partitioned run (gridbench run --workers N, bench/runner/partitioned/): same seed, same
 * result whatever the number of worker threads. The scenario of determinism.test.ts, cut into the
 * HES's partition and two of segments, on real worker threads with the real crypto backend:
 * summary.json less its wall-clock fields is byte-identical on 1 and 3 workers (node crypto) and on
 * 1 and 2 (ideal crypto): two runs of the same seed, cut differently across threads, agree byte for
 * byte (smgw-tls: within the bounds real TLS's own randomness leaves);
 * every frame is counted once although each WAN link is split between two partitions; and what
 * it cannot run, or a partition that fails, ends the run with an error that names it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricsOutput, Sample } from '../../core/metrics';
import { runPartitioned, type PartitionedRunOptions } from '../../bench/runner/partitioned/coordinator';
import type { PartitionEnd } from '../../bench/runner/partitioned/messages';
import { parseScenario } from '../../bench/scenario/load';
import { comparableSummary, determinismScenario, expectTlsRunsAlike } from '../helpers/determinism';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-partitioned-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The WAN samples of the `channel` measurement: the only link kind whose frames cross partitions. */
class WanFrames implements MetricsOutput {
  delivered = 0;
  async start() {}
  async stop() {}
  addSamples(samples: readonly Sample[]) {
    for (const s of samples) if (s.measurement === 'channel' && s.tags.kind === 'wan') this.delivered += Number(s.fields.frames_delivered);
  }
}

let runs = 0;
async function partitioned(text: string, options: PartitionedRunOptions) {
  const ends: PartitionEnd[] = [];
  const wan = new WanFrames();
  const result = await runPartitioned(parseScenario(text, join(dir, 'partitioned.yaml')), {
    partitions: 2,
    resultsRoot: join(dir, `run-${++runs}`),
    runId: 'partitioned',
    extraOutputs: [wan],
    onPartitionEnd: (end) => ends.push(end),
    ...options,
  });
  return { result, text: comparableSummary(result.runDir), ends, wan };
}

describe('a partitioned lean run', () => {
  const text = determinismScenario('node');
  it('is byte-identical on 1 and 3 worker threads, every frame counted once', async () => {
    const one = await partitioned(text, { workers: 1 });
    const three = await partitioned(text, { workers: 3 });
    expect(three.text).toBe(one.text);
    // not vacuous: every TN enrolled, commands went out, the wire lost some, frames crossed partitions
    const lean = one.result.summary.modes.lean!;
    expect(lean.bootstrap.enrolled).toBe(30);
    expect(lean.bootstrap.failed).toEqual([]);
    expect(lean.automation.count).toBeGreaterThan(0);
    expect(lean.meterRounds.rounds).toBeGreaterThan(0);
    expect(lean.channel.dropsLoss).toBeGreaterThan(0);
    expect(lean.violations).toEqual([]);
    expect(one.wan.delivered).toBeGreaterThan(0);
    // each frame once: a WAN link's directions are counted by their senders' partitions only,
    // whichever thread hosts them
    for (const run of [one, three]) {
      expect(run.ends.map((e) => e.partition).sort()).toEqual([0, 1, 2]);
      const sum = (f: (e: PartitionEnd) => number) => run.ends.reduce((n, e) => n + f(e), 0);
      expect(sum((e) => e.channel.shipped)).toBeGreaterThan(0);
      expect(lean.channel.framesOffered).toBe(sum((e) => e.channel.framesOffered));
      expect(lean.channel.dropsLoss).toBe(sum((e) => e.channel.dropsLoss));
    }
  });

  it('is byte-identical on 1 and 2 worker threads with ideal crypto', async () => {
    const text = determinismScenario('ideal');
    const one = await partitioned(text, { workers: 1 });
    const two = await partitioned(text, { workers: 2 });
    expect(two.text).toBe(one.text);
    expect(one.result.summary.modes.lean!.bootstrap.enrolled).toBe(30);
    expect(JSON.parse(one.text).crypto.tn).toBe('ideal');
  });
});

/**
 * smgw-tls partitioned: TLS streams over the split wire (each partition's TLS draws its own
 * randomness), so counts are equal and bytes and timings within determinism.test.ts's bounds.
 */
describe('a partitioned smgw-tls run', () => {
  it('repeats across worker counts within the bounds of an in-process repeat', async () => {
    const text = determinismScenario('node', 'smgw-tls');
    const one = await partitioned(text, { workers: 1 });
    const two = await partitioned(text, { workers: 2 });
    const [a, b] = [one.result.summary.modes['smgw-tls']!, two.result.summary.modes['smgw-tls']!];
    expectTlsRunsAlike(a, b);
    expect(a.bootstrap.enrolled).toBe(30);
    expect(a.handshakes.count).toBeGreaterThan(0);
    expect(a.meterRounds.rounds).toBeGreaterThan(0);
    expect(one.wan.delivered).toBeGreaterThan(0);
  });
});

describe('a partitioned run refuses', () => {
  const text = determinismScenario('node');
  it.each([
    [{ workers: 0 }, /--workers 0: expected a whole number of at least 1/],
    [{ workers: 4 }, /--workers 4: more than the run's 3 partitions/],
    [{ partitions: 3 }, /--partitions 3: more than the scenario's 2 DC\(s\) \(topology.dcs\)/],
  ] as const)('bad %j', async (options, error) => {
    await expect(partitioned(text, options)).rejects.toThrow(error);
  });

  it('a scenario with campaigns, naming the field', async () => {
    const withCampaign = `${text}campaigns: [forgery]\n`;
    await expect(partitioned(withCampaign, { workers: 1 })).rejects.toThrow(/runs no campaigns \(campaigns:\)/);
  });
});

describe('a partition that fails', () => {
  it("ends the run with the worker's error, naming its partition", async () => {
    const text = determinismScenario('node');
    const started = Date.now();
    await expect(
      partitioned(text, {
        workers: 2,
        // partition 2's share of the provisioning is gone: its worker throws building the mode
        onProvisioned: (states) => rmSync(join(states[2]!, 'lean-provisioning.json')),
      }),
    ).rejects.toThrow(/worker 2 \(partitions 1, 2\) failed: partition 2 \(dc2,tns:dc2\): .*lean-provisioning\.json/s);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('that does not answer within the barrier deadline ends the run naming its worker, and is terminated', async () => {
    const started = Date.now();
    // no worker loads its TypeScript and builds its partitions in 50 ms: the first barrier times out
    await expect(partitioned(determinismScenario('node'), { workers: 2, barrierTimeoutMs: 50 })).rejects.toThrow(
      /worker \d \(partitions [\d, ]+\) did not answer within 0.05 s/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
