/**
 * The default run (npm run bench): both modes side by side on the default scenario, the summary
 * keys users and scripts read, and report.html opened offline in headless Chromium with its plots
 * drawn.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type RunResult } from '../../bench/runner/run';
import { loadScenario } from '../../bench/scenario/load';
import { delivered } from '../../bench/runner/summary-table';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-default-'));
let result: RunResult;
beforeAll(async () => {
  result = await runScenario(loadScenario('bench/scenarios/default.yaml'), { resultsRoot: dir });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('the default run', () => {
  it('writes summary.json with both modes side by side', () => {
    const summary = JSON.parse(readFileSync(join(result.runDir, 'summary.json'), 'utf8'));
    expect(Object.keys(summary.modes)).toEqual(['lean', 'smgw-tls']);
    for (const mode of ['lean', 'smgw-tls']) {
      const m = summary.modes[mode];
      expect(m.automation.p50Ms).toBeGreaterThan(0);
      expect(m.automation.p99Ms).toBeGreaterThanOrEqual(m.automation.p50Ms);
      expect(m.bytesPerCommand).toBeGreaterThan(0);
      // delivery ratio next to latency and bytes: TNs that accepted a command over TNs it addressed
      expect(m.automation.addressed).toBe(m.automation.commands * 50);
      expect(m.automation.deliveryRatio).toBeCloseTo(m.automation.count / m.automation.addressed, 5);
      expect(m.attacks).toEqual(expect.objectContaining({ injected: expect.any(Number), accepted: 0, rejected: expect.any(Number) }));
      expect(m.attacks.injected).toBeGreaterThan(0);
      expect(m.attacks.rejected).toBeGreaterThan(0);
    }
    // what the comparison is about: one signed broadcast against one TLS record per TN
    expect(summary.modes.lean.bytesPerCommand).toBeLessThanOrEqual(100);
    expect(summary.modes['smgw-tls'].bytesPerCommand).toBeGreaterThan(20 * summary.modes.lean.bytesPerCommand);
    expect(summary.modes['smgw-tls'].storms.length).toBeGreaterThan(0);
    // the TCP beneath TLS and the chain choice, stated with the results (nodes/smgw-tls/tcp-parameters.ts)
    expect(summary.modes['smgw-tls'].parameters).toMatchObject({
      chainWithRoot: false,
      tcp: { initialWindowSegments: 10, minRtoMs: 1000 },
    });
    expect(summary.modes.lean.relay.count).toBeGreaterThan(0);
    expect(summary.ok).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it('writes a report.html that draws its plots offline in headless Chromium', () => {
    const profile = mkdtempSync(join(tmpdir(), 'gridbench-chromium-'));
    try {
      const r = spawnSync(
        'chromium',
        [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--dump-dom', `file://${join(result.runDir, 'report.html')}`],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      if (r.error) throw new Error(`chromium could not run (npm test's pretest installs it): ${r.error.message}`);
      const dom = r.stdout;
      const rendered = Number(/<body data-rendered="(\d+)"/.exec(dom)?.[1]);
      expect(rendered).toBeGreaterThanOrEqual(2); // the CDF and at least one storm
      expect((dom.match(/class="cdf-line"/g) ?? []).length).toBe(2);
      expect((dom.match(/class="storm-line"/g) ?? []).length).toBeGreaterThan(0);
      expect((dom.match(/class="bound-line"/g) ?? []).length).toBeGreaterThan(0);
      expect(dom).toMatch(/fresh_authentic_DC/);
      const { lean, 'smgw-tls': tls } = result.summary.modes;
      expect(dom).toContain(
        `automation delivered (accepted / addressed)</td><td>${delivered(lean!.automation)}</td><td>${delivered(tls!.automation)}</td>`,
      );
      expect(dom).toContain(`href="${result.summary.dashboard.replace(/&/g, '&amp;')}"`);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
