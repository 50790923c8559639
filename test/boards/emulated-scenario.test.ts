import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type RunResult } from '../../bench/runner/run';
import { parseScenario } from '../../bench/scenario/load';
import { ConfigError } from '../../core/config';
import { fetchStandardFirmata } from '../../nodes/boards/emulated/firmware';

// One DC with two TNs, one of them on StandardFirmata in the AVR emulator, on the real clock:
// automation broadcasts switch its relay on and off, and the board's feedback says so.
const SCENARIO = `
name: emulated-board
seed: 3
modes: [lean]
duration: 9s
topology: { dcs: 1, tnsPerDc: 2 }
boards:
  - { tn: tn1.001, kind: emulated }
workload:
  automation:
    - { every: 2s, first: 1s, dc: all, relay: [on, off] }
thresholds:
  "relay_latency_ms{mode:lean}": ["count>=3"]
`;

const dir = mkdtempSync(join(tmpdir(), 'gridbench-emulated-run-'));
let result: RunResult;
beforeAll(async () => {
  await fetchStandardFirmata();
  result = await runScenario(parseScenario(SCENARIO, 'emulated-board.yaml'), { resultsRoot: dir });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a lean scenario with an emulated board', () => {
  it('runs on the real clock and every automation command switches the emulated relay, as its feedback pin reports', () => {
    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8'));
    expect(summary.clock).toBe('real');
    const lean = summary.modes.lean;
    expect(lean.relay.count).toBeGreaterThanOrEqual(3);
    expect(lean.relay.p50Ms).toBeGreaterThan(0);
    expect(result.exitCode).toBe(0);
    const lines = readFileSync(join(result.runDir, 'metrics.lp'), 'utf8').split('\n');
    const switches = lines.filter((l) => l.startsWith('relay_switch,') && l.includes('board=emulated'));
    // Every command the emulated TN accepted (on, off, on...) moved its relay, seen on the feedback pin.
    const accepted = lines.filter((l) => l.startsWith('automation_latency,') && l.includes('tn=tn1.001'));
    expect(switches.length).toBe(lean.relay.count);
    expect(switches.length).toBe(accepted.length);
    expect(lines.some((l) => l.startsWith('board,') && l.includes('board=emulated') && l.includes('status=attached'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('relay_timeout,'))).toEqual([]);
  });

  it('puts a scenario with an emulated board on the real clock, and refuses it on the virtual clock naming the field', () => {
    expect(parseScenario(SCENARIO, 'emulated-board.yaml').clock).toBe('real');
    expect(() => parseScenario(`clock: virtual\n${SCENARIO}`, 'emulated-board.yaml')).toThrow(ConfigError);
    expect(() => parseScenario(`clock: virtual\n${SCENARIO}`, 'emulated-board.yaml')).toThrow(
      'emulated-board.yaml: clock: a scenario with emulated boards runs on the real clock (their serial ports are ptys)',
    );
  });
});
