/**
 * Scenario files are checked on load: every error names the file, the field and what was
 * expected. The shipped example scenarios must all load.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config';
import { loadScenario } from '../../bench/scenario/load';
import { parseDuration, parseSize } from '../../bench/scenario/units';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const file = join(dir, `s${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}

const MINIMAL = 'topology: { dcs: 1, tnsPerDc: 3 }\n';

describe('scenario files', () => {
  it.each(readdirSync('bench/scenarios').filter((f) => f.endsWith('.yaml')))('shipped scenario %s loads', (file) => {
    expect(() => loadScenario(join('bench/scenarios', file))).not.toThrow();
  });

  it('fills defaults: lean only, virtual clock, 10 minutes, seed 1, node:crypto', () => {
    const s = loadScenario(write(MINIMAL));
    expect(s).toMatchObject({
      modes: ['lean'],
      clock: 'virtual',
      duration: 600_000,
      seed: 1,
      crypto: { hes: 'node', dc: 'node', tn: 'node' },
    });
  });

  it('reads durations and sizes with units', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('9m30s')).toBe(570_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseSize('8KiB')).toBe(8192);
    expect(parseSize('5MB')).toBe(5_000_000);
  });

  it.each([
    ['a file that does not exist', null, /no such scenario file/],
    ['YAML that does not parse', 'topology: { dcs: 1, tnsPerDc: [\n', /line \d+: expected valid YAML/],
    ['a list at the top level', '- 1\n', /expected a YAML mapping/],
    ['a missing topology', 'seed: 3\n', /topology: /],
    ['a negative TN count', 'topology: { dcs: 1, tnsPerDc: -3 }\n', /topology\.tnsPerDc: /],
    ['an unknown field', `${MINIMAL}colour: blue\n`, /colour/],
    ['an unknown preset', `${MINIMAL}channel: { plc: { preset: wifi } }\n`, /channel\.plc\.preset: unknown preset "wifi"/],
    ['a duration without a unit it knows', `${MINIMAL}duration: 3 fortnights\n`, /duration: expected a duration/],
    ['an unknown mode', `${MINIMAL}modes: [lean, tls13]\n`, /modes\.1/],
    [
      'a board on a TN that does not exist',
      `${MINIMAL}boards: [{ tn: tn9.001, kind: virtual }]\n`,
      /boards\.0\.tn: "tn9\.001" is not a TN/,
    ],
    [
      'a board path that does not exist',
      `${MINIMAL}boards: [{ tn: tn1.001, kind: real, port: /dev/ttyNOPE0 }]\n`,
      /boards\.0\.port: serial path \/dev\/ttyNOPE0 does not exist/,
    ],
    [
      'a real board on the virtual clock',
      `${MINIMAL}clock: virtual\nboards: [{ tn: tn1.001, kind: real, port: /dev/null }]\n`,
      /clock: a scenario with real boards runs on the real clock/,
    ],
    [
      'a threshold that does not parse',
      `${MINIMAL}thresholds: { automation_latency_ms: ["p99 < 2s"] }\n`,
      /thresholds\."automation_latency_ms": "p99 < 2s" is not an expression/,
    ],
    [
      'an automation for an unknown DC',
      `${MINIMAL}workload: { automation: [{ at: 1m, dc: dc7, relay: on }] }\n`,
      /workload\.automation\.0\.dc: "dc7" is not a DC/,
    ],
    ['a campaign that does not exist', `${MINIMAL}campaigns: [no-such-campaign]\n`, /campaigns\.0: campaign "no-such-campaign" not found/],
    ['an unknown compute profile', `${MINIMAL}compute: { default: cray-1 }\n`, /compute\.default/],
    [
      'automation every zero seconds',
      `${MINIMAL}workload: { automation: [{ every: 0s, relay: on }] }\n`,
      /workload\.automation\.0\.every: expected a positive duration/,
    ],
    [
      'a threshold filtering on a tag its metric lacks',
      `${MINIMAL}thresholds: { "automation_latency_ms{goal:x}": ["p(99)<1"] }\n`,
      /automation_latency_ms has no tag "goal"/,
    ],
    [
      'a threshold filtering on a goal that does not exist',
      `${MINIMAL}thresholds: { "attack_accepted{goal:fresh_authentic_dc}": ["count==0"] }\n`,
      /goal "fresh_authentic_dc" is not one of/,
    ],
  ])('refuses %s, naming the file and the field', (_what, text, message) => {
    const file = text === null ? join(dir, 'missing.yaml') : write(text);
    expect(() => loadScenario(file)).toThrow(ConfigError);
    expect(() => loadScenario(file)).toThrow(message);
    expect(() => loadScenario(file)).toThrow(file);
  });

  it('checks campaign timelines against the topology and their own steps', () => {
    const campaign = join(dir, 'bad-campaign.yaml');
    writeFileSync(
      campaign,
      [
        'goal: fresh_authentic_DC',
        'steps:',
        '  - { at: 1m, replay: { recording: nothing } }',
        '  - { at: 1m, forge: { class: automation, signer: dc1, from: dc1, to: "*", fields: { dc: dc1, group: dc1, counter: 1, relay: 1 } } }',
        '  - { at: 1m, jam: { segment: dc9, duration: 1s } }',
        '  - { at: 1m, record: { id: r, match: { class: automaton, link: plc:dc7 } } }',
        '  - { at: 2m, replay: { recording: r, as: { from: dc9, to: "*" } } }',
      ].join('\n'),
    );
    const file = write(`${MINIMAL}campaigns: [${campaign}]\n`);
    expect(() => loadScenario(file)).toThrow(/steps\.0\.replay\.recording: no earlier record step "nothing"/);
    expect(() => loadScenario(file)).toThrow(/signer "dc1" was not compromised by an earlier step/);
    expect(() => loadScenario(file)).toThrow(/steps\.2\.jam\.segment: "dc9" is not a DC/);
    expect(() => loadScenario(file)).toThrow(/steps\.3\.record\.match\.link: "plc:dc7" is not a link/);
    expect(() => loadScenario(file)).toThrow(/steps\.3\.record\.match\.class: "automaton" is not a message class/);
    expect(() => loadScenario(file)).toThrow(/steps\.4\.replay\.as\.from: "dc9" is not a node/);
  });

  it('reads each campaign step through its registered kind: unknown kinds, fields inside a step, two kinds in one step', () => {
    const campaign = join(dir, 'bad-steps.yaml');
    writeFileSync(
      campaign,
      [
        'steps:',
        '  - { at: 1m, teleport: { to: dc1 } }',
        '  - { at: 1m, jam: { segment: dc1 } }',
        '  - { at: 1m, jam: { segment: dc1, duration: 1s }, flood: { from: dc1, to: "*", frames: 1, over: 1s } }',
      ].join('\n'),
    );
    const file = write(`${MINIMAL}campaigns: [${campaign}]\n`);
    expect(() => loadScenario(file)).toThrow(ConfigError);
    expect(() => loadScenario(file)).toThrow(
      /campaigns\.0: .*bad-steps\.yaml: steps\.0\.teleport: unknown step kind \(expected one of record, replay, .*replace[^)]*\)/,
    );
    expect(() => loadScenario(file)).toThrow(/steps\.1\.jam\.duration: /);
    expect(() => loadScenario(file)).toThrow(/steps\.2: one step kind per step, got jam, flood/);
  });
});
