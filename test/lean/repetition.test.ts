/**
 * A fair lean broadcast (issue 14): a DC may repeat each automation broadcast (lean: { automation:
 * { repeats, spacing } }); every copy is on the segment and counted in the command's bytes, a TN
 * accepts the command once, refuses its DC's copies as duplicates (not as attacks), and still
 * refuses replays. On the emulated wire, then at the scale of the default run.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runScenario } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';
import { leanBench, type LeanBench } from '../goals/lean-bench';

const REPEATS = { repeats: 2, spacingMs: 200 };

describe('repeated lean automation broadcasts on the emulated wire', () => {
  let b: LeanBench;
  afterEach(() => b?.close());

  const accepted = () => b.recorder.select('automation_latency');
  const duplicates = () => b.recorder.select('frame_rejected', { reason: 'duplicate-command' });

  it('puts every copy on the segment and counts it in the bytes of the command; each TN accepts it once', async () => {
    b = await leanBench({ lean: { automation: REPEATS } });
    const onWire = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    const issued = b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    expect(onWire.frames).toHaveLength(3);
    expect(new Set(onWire.frames.map((f) => Buffer.from(f.bytes).toString('hex'))).size).toBe(1); // the same frame
    expect(issued.segmentBytes).toBe(3 * onWire.frames[0]!.bytes.length);
    expect(accepted()).toHaveLength(3);
    // the DC's own copies: duplicates, not attacks and not replays
    expect(duplicates()).toHaveLength(2 * 3);
    expect(duplicates().every((s) => s.tags.attack === undefined && s.tags.role === 'tn')).toBe(true);
    expect(b.rejected('stale-counter')).toBe(0);
    expect(b.oracle.violationsOf('fresh_authentic_DC')).toBe(0);
  });

  it('a TN that missed the first copy accepts a later one, its latency counted from the command', async () => {
    b = await leanBench({ lean: { automation: REPEATS } });
    const unblock = b.attacker.block({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait(100); // the first copy is dropped on the wire
    unblock();
    await b.wait();
    const latencies = accepted().map((s) => s.fields.latency_ms as number);
    expect(latencies).toHaveLength(3);
    for (const ms of latencies) expect(ms).toBeGreaterThanOrEqual(REPEATS.spacingMs);
    expect(b.topology.tnsOf('dc1').map((tn) => b.mode.tns.get(tn)!.relayState)).toEqual([true, true, true]);
    expect(duplicates()).toHaveLength(3); // the third copy
    expect(b.oracle.violationsOf('fresh_authentic_DC')).toBe(0);
  });

  it('refuses a replay of the newest command: as a duplicate while its repeats can come, as stale after', async () => {
    b = await leanBench({ lean: { automation: REPEATS } });
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait(50);
    b.attacker.replay(recording.frames[0]!); // inside the window: indistinguishable from a repeat, and as harmless
    await b.wait();
    const replayed = (reason: string) => b.recorder.select('frame_rejected', { reason }).filter((s) => s.tags.attack !== undefined);
    expect(replayed('duplicate-command')).toHaveLength(3);
    b.attacker.replay(recording.frames[0]!); // after (repeats + 1) spacings: a replay
    await b.wait();
    expect(replayed('stale-counter')).toHaveLength(3);
    expect(accepted()).toHaveLength(3);
    expect(b.oracle.violationsOf('fresh_authentic_DC')).toBe(0);
  });

  it('a newer command supersedes what is left of the older one: no copy of it arrives after the newer', async () => {
    b = await leanBench({ lean: { automation: REPEATS } });
    const onWire = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    b.mode.automation('dc1', { relay: 'on' });
    await b.wait(50);
    b.mode.automation('dc1', { relay: 'off' });
    await b.wait();
    expect(onWire.frames).toHaveLength(1 + 3);
    expect(b.rejected('stale-counter')).toBe(0);
    expect(b.topology.tnsOf('dc1').map((tn) => b.mode.tns.get(tn)!.relayState)).toEqual([false, false, false]);
  });

  it('without a policy, the protocol as designed: one copy, and a replay of it is stale', async () => {
    b = await leanBench();
    const recording = b.attacker.record({ link: 'plc:dc1', class: 'automation' });
    const issued = b.mode.automation('dc1', { relay: 'on' });
    await b.wait();
    expect(recording.frames).toHaveLength(1);
    expect(issued.segmentBytes).toBe(recording.frames[0]!.bytes.length);
    b.attacker.replay(recording.frames[0]!);
    await b.wait();
    expect(b.rejected('stale-counter', 'tn')).toBe(3);
    expect(duplicates()).toHaveLength(0);
  });
});

describe('the lean-repetition scenario against the default run (2 % loss on G3-PLC)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridbench-repetition-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** lean-repetition.yaml, or the same without its repetition policy: lean as the default run has it. */
  async function lean(repeat: boolean) {
    const file = 'bench/scenarios/lean-repetition.yaml';
    const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (!repeat) delete raw.lean;
    const result = await runScenario(parseScenario(stringify(raw), file), { resultsRoot: dir });
    return result.summary.modes.lean!;
  }

  it('delivers at least 99.9 % of the commands, at three times the bytes of one broadcast', async () => {
    const [once, repeated] = [await lean(false), await lean(true)];
    expect(once.automation.deliveryRatio).toBeLessThan(0.999); // what 2 % loss takes from a single broadcast
    expect(repeated.automation.deliveryRatio).toBeGreaterThanOrEqual(0.999);
    expect(repeated.automation.addressed).toBe(once.automation.addressed);
    expect(repeated.bytesPerCommand).toBe(3 * once.bytesPerCommand!);
    expect(repeated.rejections['duplicate-command']).toBeGreaterThan(0);
    expect(repeated.attacks.accepted).toBe(0);
    expect(repeated.violations).toEqual([]);
  });

  it('refuses a policy it cannot honour, naming the field', () => {
    const scenario = (lean: string) => `name: x\ntopology: { dcs: 1, tnsPerDc: 1 }\nlean: ${lean}\n`;
    expect(() => parseScenario(scenario('{ automation: { repeats: 11 } }'), 'x.yaml')).toThrow(/lean\.automation\.repeats/);
    expect(() => parseScenario(scenario('{ automation: { repeats: 2, spacing: 0s } }'), 'x.yaml')).toThrow(/lean\.automation\.spacing/);
    expect(() => parseScenario(scenario('{ automation: { repeat: 2 } }'), 'x.yaml')).toThrow(/lean\.automation/);
    expect(parseScenario(scenario('{ automation: { repeats: 1 } }'), 'x.yaml').lean.automation).toEqual({ repeats: 1, spacingMs: 200 });
  });
});
