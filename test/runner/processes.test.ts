/**
 * gridbench run --processes: the broker, the HES, each DC and the TN hosts as separate OS
 * processes over ZeroMQ TCP on loopback, on the real clock. A TN host killed mid-run is reported
 * and the run finishes with the rest; one that reports a failure and then hangs is reported by
 * its failure.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcesses } from '../../bench/runner/processes';
import { loadScenario } from '../../bench/scenario/load';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--processes', () => {
  it('runs every node group in its own process, and survives a TN host being killed', async () => {
    const file = join(dir, 'processes.yaml');
    writeFileSync(
      file,
      [
        'name: processes',
        'duration: 16s',
        'topology: { dcs: 2, tnsPerDc: 3 }',
        'boards: [{ tn: tn1.001, kind: virtual }]',
        'channel: { wan: { preset: dsl }, plc: { preset: g3-plc-cenelec-a } }',
        'workload:',
        '  meterRounds: { at: 1s, timeout: 5s }',
        '  automation: [{ every: 3s, dc: all, relay: [on, off] }]',
      ].join('\n'),
    );
    const children = new Map<string, ChildProcess>();
    const log: string[] = [];
    let killed = false;
    const result = await runProcesses(loadScenario(file), {
      resultsRoot: dir,
      log: (line) => log.push(line),
      onProcess: (name, child) => children.set(name, child),
      onProgress: (p) => {
        // a few seconds into the workload the second DC's TN host dies
        if (p.phase === 'run' && p.simulatedMs > 5_000 && !killed) {
          killed = true;
          children.get('tns:dc2')!.kill('SIGKILL');
        }
      },
    });
    expect([...children.keys()].sort()).toEqual(['channel', 'dc1', 'dc2', 'hes', 'tns:dc1', 'tns:dc2']);
    expect(new Set([...children.values()].map((c) => c.pid)).size).toBe(6);
    const processes = Object.fromEntries(result.summary.processes!.map((p) => [p.name, p.outcome]));
    expect(processes).toEqual({ channel: 'ok', hes: 'ok', dc1: 'ok', dc2: 'ok', 'tns:dc1': 'ok', 'tns:dc2': 'killed by SIGKILL' });
    expect(log.some((l) => /process tns:dc2 \(pid \d+\) killed by SIGKILL; the run goes on with the rest/.test(l))).toBe(true);

    const lean = result.summary.modes.lean!;
    expect(lean.bootstrap).toMatchObject({ enrolled: 6, dcsEnrolled: 2 });
    expect(lean.meterRounds.rounds).toBe(1);
    expect(lean.automation.count).toBeGreaterThan(3);
    expect(lean.relay.count).toBeGreaterThan(0);
    const lines = readFileSync(join(result.runDir, 'metrics.lp'), 'utf8');
    // dc1's TNs kept accepting commands after dc2's host died; the broker's channel metrics are in too
    expect(lines).toMatch(/^automation_latency,.*tn=tn1\.00\d/m);
    expect(lines).toMatch(/^channel,.*link=plc:dc1/m);
    expect(result.summary.clock).toBe('real');
  }, 120_000);

  it('reports a host that failed and then hung by its failure, not as one that did not stop', async () => {
    const file = join(dir, 'failed.yaml');
    writeFileSync(file, ['name: failed', 'duration: 2s', 'topology: { dcs: 1, tnsPerDc: 1 }'].join('\n'));
    const children = new Map<string, ChildProcess>();
    let failed = false;
    const result = await runProcesses(loadScenario(file), {
      resultsRoot: dir,
      log: () => {},
      stopTimeoutMs: 1_000,
      onProcess: (name, child) => children.set(name, child),
      onProgress: (p) => {
        // the TN host says it failed, as gridbench node does, then never exits
        if (p.phase === 'run' && !failed) {
          failed = true;
          const child = children.get('tns:dc1')!;
          child.emit('message', { type: 'failed', error: 'board tn1.001 gone' });
          child.kill('SIGSTOP');
        }
      },
    });
    const processes = Object.fromEntries(result.summary.processes!.map((p) => [p.name, p.outcome]));
    expect(processes).toEqual({ channel: 'ok', hes: 'ok', dc1: 'ok', 'tns:dc1': 'failed: board tn1.001 gone' });
  });
});
