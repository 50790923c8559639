/**
 * The campaign relay (bench/runner/campaign-relay.ts) on its own: a real broker and attack port,
 * and the hosts played by the test, saying what a lab host or a --processes child says
 * (host-messages.ts), or what a compromised one could say on its channel. What the relay judges
 * and what it answers are asserted; the operator's credentials are issued from a real provisioned
 * state.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startAttackPort } from '../../channel/attack-port';
import { Topology } from '../../core/topology';
import { loadCampaign } from '../../bench/campaign/load';
import type { Sample } from '../../core/metrics';
import { CampaignRelay, type CampaignRelayOptions, type RelayHost } from '../../bench/runner/campaign-relay';
import { selectNodes } from '../../bench/runner/node-selection';
import { issueReplacement, provisionState } from '../../bench/runner/provision';
import type { HostMessage, Observed, ParentMessage } from '../../bench/runner/host-messages';
import { loadScenario } from '../../bench/scenario/load';
import type { Scenario } from '../../bench/scenario/schema';
import { MessageClass } from '../../nodes/protocol/message-class';
import { zmqWire } from '../channel/wire-bench';
import { until } from '../helpers/lab';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-campaign-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'campaign-relay-test-token';
const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

const TOPOLOGY = Topology.build(1, 2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host played by the test: it can die and come back; what the relay sends it is kept. */
class TestHost implements RelayHost {
  living = true;
  readonly got: ParentMessage[] = [];
  readonly nodes: ReadonlySet<string>;
  constructor(readonly name: string) {
    this.nodes = new Set(selectNodes(name, TOPOLOGY));
  }
  alive(): boolean {
    return this.living;
  }
  send(m: ParentMessage): void {
    this.got.push(m);
  }
}

/** A relay over a real attack port, its hosts the test's; no campaign unless `options` has some. */
async function relayOf(hosts: readonly TestHost[], options: (scenario: Scenario) => Partial<CampaignRelayOptions> = () => ({})) {
  const file = join(dir, 'relay.yaml');
  writeFileSync(file, ['name: relay', 'seed: 3', 'modes: [smgw-tls]', 'duration: 10s', 'topology: { dcs: 1, tnsPerDc: 2 }'].join('\n'));
  const scenario = loadScenario(file);
  const wire = await zmqWire({ dcs: 1, tns: 2 });
  opened.push(wire);
  const port = await startAttackPort(wire.broker.control, { endpoint: 'tcp://127.0.0.1:0', token: TOKEN });
  opened.push(port);
  const log: string[] = [];
  const relay = await CampaignRelay.connect({
    scenario,
    modeName: 'smgw-tls',
    topology: TOPOLOGY,
    campaigns: [],
    tags: {},
    attack: { endpoint: port.endpoint, token: TOKEN },
    hosts: () => hosts,
    record: () => {},
    log: (line) => log.push(line),
    ...options(scenario),
  });
  opened.push({ close: () => relay.finish() });
  return { relay, log };
}

/** dc1's host and its TNs' host, played by the test, and a relay over them. */
async function dcAndTns(options?: (scenario: Scenario) => Partial<CampaignRelayOptions>) {
  const dc1 = new TestHost('dc1');
  const tns = new TestHost('tns:dc1');
  return { dc1, tns, ...(await relayOf([dc1, tns], options)) };
}

// an automation command dc1 signed for its segment, and tn1.001 accepting it
const SIGNED = new Uint8Array([MessageClass.Automation, 1, 2, 3]);
const sent = (at: number): Observed => ({ at, kind: 'sent', sender: 'dc1', signed: SIGNED });
/** `signed`: another command's bytes, one dc1 never sent. */
const accepted = (at: number, signed = SIGNED): Observed => ({
  at,
  kind: 'accepted',
  acceptance: {
    node: 'tn1.001',
    cls: MessageClass.Automation,
    sender: 'dc1',
    recipient: 'dc1',
    counter: 1,
    signed,
    signerKey: new Uint8Array(32),
  },
});
const observed = (events: Observed[], upTo: number): HostMessage => ({ type: 'observed', events, upTo });
/** Two drain periods of the relay (500 ms each) and then some. */
const TICKS_MS = 1_300;

/** The relay's verdict, its living hosts each saying at once that it has sent everything up to the campaign's end. */
function finishWith(relay: CampaignRelay, ...living: TestHost[]) {
  const verdict = relay.finish();
  // a millisecond on: the relay's clock has fractions of one
  for (const h of living) relay.hostMessage(h.name, observed([], Date.now() + 1));
  return verdict;
}

describe('the campaign relay judges what the hosts observed', () => {
  it("judges an event only once every living host's batches are in up to its time, however late a host's batch", async () => {
    const { dc1, tns, relay } = await dcAndTns();
    // 3 s ago dc1 sent a command and tn1.001 accepted it; the TNs' host said so at once, dc1's host
    // is loaded: its batches so far say it has sent everything up to 4 s ago only
    const t = Date.now() - 3_000;
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    relay.hostMessage('dc1', observed([], t - 1_000));
    // judged now, at a fixed lag, the acceptance would be of a command nobody sent
    await sleep(TICKS_MS);
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    const { violations, incomplete } = await finishWith(relay, dc1, tns);
    expect(violations).toEqual([]);
    expect(incomplete).toEqual([]);
  });

  it('does not wait for a host that is gone: what the others said is judged without it', async () => {
    const { dc1, tns, relay } = await dcAndTns();
    const t = Date.now() - 3_000;
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    // dc1's host never said anything and dies: the acceptance is judged without its batches
    dc1.living = false;
    relay.hostGone('dc1');
    await sleep(TICKS_MS);
    // proof that it was: what dc1's host says when it comes back (its backlog) comes too late for it
    dc1.living = true;
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    const { violations } = await finishWith(relay, dc1, tns);
    expect(violations.map((v) => v.detail)).toEqual(['tn1.001 accepted Automation #1 that no genuine party sent']);
  });
});

describe('a host whose operator channel went down', () => {
  it('holds the judging at its last batch until it sends again what it sent meanwhile: a sending among them is judged before the acceptance', async () => {
    const { dc1, tns, relay } = await dcAndTns();
    const t = Date.now() - 3_000;
    relay.hostMessage('dc1', observed([], t - 1_000));
    // dc1's channel goes down; meanwhile dc1 sent a command, which tn1.001 accepted and its host reported
    dc1.living = false;
    relay.hostAway('dc1');
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    await sleep(TICKS_MS);
    // dc1 comes back: its messages missed while the channel was down come again (operator-channel.ts)
    dc1.living = true;
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    const { violations, incomplete } = await finishWith(relay, dc1, tns);
    expect(violations).toEqual([]);
    expect(incomplete).toEqual([]);
  });

  it('declares what it sent meanwhile lost once it can no longer send it again: the verdict names it, and the judging goes on without it', async () => {
    const { dc1, tns, relay, log } = await dcAndTns(() => ({ resendWithinMs: 600 }));
    const t = Date.now() - 3_000;
    relay.hostMessage('dc1', observed([], t - 1_000));
    dc1.living = false;
    relay.hostAway('dc1');
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    await sleep(600 + TICKS_MS);
    // judged without dc1 after the 600 ms: a sending it reports later comes too late
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    const { violations, incomplete } = await finishWith(relay, dc1, tns);
    expect(violations.map((v) => v.detail)).toEqual(['tn1.001 accepted Automation #1 that no genuine party sent']);
    const lost = 'dc1: its channel was down over 0.6 s, longer than it keeps what it sends: its events meanwhile are lost';
    expect(incomplete).toEqual([lost]);
    expect(log).toContain(`${lost}; the verdict is incomplete`);
  });
});

describe("the campaign's end", () => {
  it("waits for a living host's batches up to the end: an acceptance whose sending the DC's host reports after the end is no violation", async () => {
    const { relay, log } = await dcAndTns();
    // just before the end dc1 sent a command and tn1.001 accepted it; the TNs' host said so,
    // dc1's host is loaded: its last batch is a second old (a lab's hosts outlive the campaign)
    const t = Date.now() - 200;
    relay.hostMessage('dc1', observed([], t - 1_000));
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    const verdict = relay.finish();
    await sleep(300);
    // after the end: dc1's batch with the sending; and an acceptance of the TNs' host after the
    // end, of a command nobody sent, which is not the campaign's to judge
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now() + 100));
    relay.hostMessage('tns:dc1', observed([accepted(Date.now() + 50, new Uint8Array([1]))], Date.now() + 100));
    const { violations, incomplete } = await verdict;
    expect(violations).toEqual([]);
    expect(incomplete).toEqual([]);
    expect(log).toContain(
      "1 event(s) the hosts reported after the campaign's end were not judged: the campaign's verdict is about its own time",
    );
  });

  it('still finds an acceptance before the end of a command no genuine party sent', async () => {
    const { dc1, tns, relay } = await dcAndTns();
    const t = Date.now() - 200;
    relay.hostMessage('dc1', observed([], t - 1_000));
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    const verdict = relay.finish();
    await sleep(300);
    // dc1's host reports up to past the end: it sent nothing
    for (const h of [dc1, tns]) relay.hostMessage(h.name, observed([], Date.now() + 1));
    const { violations, incomplete } = await verdict;
    expect(violations.map((v) => v.detail)).toEqual(['tn1.001 accepted Automation #1 that no genuine party sent']);
    expect(incomplete).toEqual([]);
  });

  it('names a living host that does not report up to the end within the wait: the verdict is incomplete, not judged without it', async () => {
    const { tns, relay } = await dcAndTns();
    const t = Date.now() - 200;
    relay.hostMessage('dc1', observed([], t - 1_000));
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    // dc1's host says nothing more (hung, or its channel silent): the verdict returns, bounded
    const { violations, incomplete } = await finishWith(relay, tns);
    expect(violations).toEqual([]);
    expect(incomplete).toEqual([
      expect.stringMatching(
        /^dc1: at the campaign's end it reported its events up to \d+ ms before it only \(waited \d+ s\); 1 event\(s\) of the hosts from then on to the end were not judged$/,
      ),
    ]);
  });

  it('under --processes, with every host ended, judges everything they sent before they ended', async () => {
    const { dc1, tns, relay } = await dcAndTns();
    const t = Date.now() - 50;
    // a genuine command and its acceptance, and an acceptance of one nobody sent, in the hosts' last batches
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    relay.hostMessage('tns:dc1', observed([accepted(t), accepted(t + 5, new Uint8Array([9]))], t + 10));
    for (const h of [dc1, tns]) {
      h.living = false;
      relay.hostGone(h.name);
    }
    const { violations, incomplete } = await relay.finish();
    expect(violations.map((v) => v.detail)).toEqual(['tn1.001 accepted Automation #1 that no genuine party sent']);
    expect(incomplete).toEqual([]);
  });
});

describe('what a host may report', () => {
  it("judges only what a host reports of its own nodes: a sending in another node's name, covering a forgery, is refused and counted", async () => {
    const dc1 = new TestHost('dc1');
    const tns = new TestHost('tns:dc1');
    const samples: Sample[] = [];
    const { relay, log } = await relayOf([dc1, tns], () => ({ record: (s) => samples.push(s) }));
    // a compromised TN host forges a command to tn1.001 and says dc1 sent it
    const t = Date.now() - 3_000;
    relay.hostMessage('tns:dc1', observed([sent(t - 10), accepted(t)], Date.now()));
    // and claims keys for the HES and dc1 beside its own TN's
    const key = { publicKey: new Uint8Array(32), secretKey: new Uint8Array(32) };
    relay.hostMessage('tns:dc1', { type: 'keys', keys: { hes: key, dc1: key, 'tn1.001': key } } as unknown as HostMessage);
    relay.hostMessage('dc1', observed([], Date.now()));
    const { violations } = await finishWith(relay, dc1, tns);
    expect(violations.map((v) => v.detail)).toEqual(['tn1.001 accepted Automation #1 that no genuine party sent']);
    const rejected = samples.filter((s) => s.measurement === 'operator_rejected');
    expect(rejected.map((s) => [s.fields.from, s.fields.count, s.tags.reason])).toEqual([
      ['tns:dc1', 1, 'not-its-node'],
      ['tns:dc1', 2, 'not-its-node'],
    ]);
    expect(log).toContain('tns:dc1 reported the keys of hes, dc1 of nodes that are not its own: refused; 3 refused so far');
  });
});

describe("the operator's side of a replacement", () => {
  it("issues and registers only for a host's own node under this campaign's replacement, once each; the rest are refused, counted and logged", async () => {
    const hes = new TestHost('hes');
    const dc1 = new TestHost('dc1');
    const tns = new TestHost('tns:dc1');
    const campaign = join(dir, 'replace.yaml');
    writeFileSync(campaign, ['name: replace', 'goal: secure_TN_HES', 'steps:', '  - { at: 0s, replace: tn1.001 }'].join('\n'));
    const state = join(dir, 'state');
    const samples: Sample[] = [];
    let issued = 0;
    const campaigns = [await loadCampaign(campaign, join(dir, 'relay.yaml'), TOPOLOGY)];
    const { relay, log } = await relayOf([hes, dc1, tns], (scenario) => {
      provisionState(scenario, state);
      return {
        campaigns,
        record: (s) => samples.push(s),
        // the operator's own issuing from the provisioned roots; `issued` counts what they signed
        issue: (node) => {
          issued++;
          return issueReplacement(scenario, state, 'smgw-tls', node);
        },
      };
    });
    const answer = <T extends 'issued' | 'registered'>(host: TestHost, type: T, id: number) => {
      const a = host.got.find((m) => m.type === type && m.id === id);
      if (!a) throw new Error(`${host.name} got no ${type} for ${id}`);
      return a as Extract<ParentMessage, { type: T }>;
    };
    const refused = (host: TestHost, type: 'issued' | 'registered', id: number, reason: string) => {
      expect(answer(host, type, id)).toMatchObject({ error: expect.stringContaining('refused') });
      expect(answer(host, type, id)).not.toHaveProperty('credential');
      expect(log.at(-1)).toContain(`refused (${reason}:`);
    };

    // before any replacement: the TNs' host asks for its own node's credential
    relay.hostMessage('tns:dc1', { type: 'issue', id: 1, node: 'tn1.001' });
    refused(tns, 'issued', 1, 'not-pending');

    relay.start(Date.now());
    await until(() => tns.got.some((m) => m.type === 'op' && m.op === 'replace'), 'the replace operation at the hosts', 10_000);
    const replace = tns.got.find((m) => m.type === 'op' && m.op === 'replace')!;
    expect(replace).toMatchObject({ node: 'tn1.001' });

    // during it: another host asks for the replaced node's credential, a forged register names it,
    // and the TNs' host asks for a node nobody replaces
    relay.hostMessage('dc1', { type: 'issue', id: 2, node: 'tn1.001' });
    refused(dc1, 'issued', 2, 'not-its-node');
    relay.hostMessage('hes', { type: 'register', id: 3, node: 'tn1.001', credential: new Uint8Array([1, 2, 3]) });
    refused(hes, 'registered', 3, 'not-its-node');
    relay.hostMessage('tns:dc1', { type: 'issue', id: 4, node: 'tn1.002' });
    refused(tns, 'issued', 4, 'not-pending');
    // the TNs' host registers a certificate of its own making before asking for any: nothing issued to compare it with
    relay.hostMessage('tns:dc1', { type: 'register', id: 50, node: 'tn1.001', credential: new Uint8Array([4, 5, 6]) });
    refused(tns, 'registered', 50, 'not-issued');
    await sleep(100);
    expect(hes.got.some((m) => m.type === 'op' && m.op === 'admit')).toBe(false);
    // the genuine request: its credential, its own key and certificate (no root key)
    relay.hostMessage('tns:dc1', { type: 'issue', id: 5, node: 'tn1.001' });
    const credential = answer(tns, 'issued', 5);
    expect(credential.error).toBeUndefined();
    expect(credential.credential).toMatchObject({ certPem: expect.stringContaining('CERTIFICATE'), keyPem: expect.any(String) });
    // and asked again, for a second credential of the same replacement
    relay.hostMessage('tns:dc1', { type: 'issue', id: 6, node: 'tn1.001' });
    refused(tns, 'issued', 6, 'again');
    // a register of a certificate other than the one issued (the host's own making, or the issued
    // one with a byte changed): the HES's host would admit a unit the operator never issued
    const certDer = (credential.credential as { certDer: Uint8Array }).certDer;
    relay.hostMessage('tns:dc1', { type: 'register', id: 70, node: 'tn1.001', credential: new Uint8Array([4, 5, 6]) });
    refused(tns, 'registered', 70, 'not-issued');
    const tampered = Uint8Array.from(certDer);
    tampered[tampered.length - 1]! ^= 1;
    relay.hostMessage('tns:dc1', { type: 'register', id: 71, node: 'tn1.001', credential: tampered });
    refused(tns, 'registered', 71, 'not-issued');
    expect(hes.got.some((m) => m.type === 'op' && m.op === 'admit')).toBe(false);
    // the genuine registration, of the issued certificate: the HES's host is asked to admit the new unit
    relay.hostMessage('tns:dc1', { type: 'register', id: 7, node: 'tn1.001', credential: Uint8Array.from(certDer) });
    await until(() => hes.got.some((m) => m.type === 'op' && m.op === 'admit'), 'the admit operation at the hosts', 10_000);
    const admit = hes.got.find((m) => m.type === 'op' && m.op === 'admit')!;
    relay.hostMessage('hes', { type: 'op-done', id: admit.type === 'op' ? admit.id : -1, mine: true });
    for (const h of [dc1, tns]) relay.hostMessage(h.name, { type: 'op-done', id: admit.type === 'op' ? admit.id : -1, mine: false });
    await until(() => tns.got.some((m) => m.type === 'registered' && m.id === 7), 'the registration answered', 10_000);
    expect(answer(tns, 'registered', 7).error).toBeUndefined();
    relay.hostMessage('tns:dc1', { type: 'register', id: 8, node: 'tn1.001', credential: new Uint8Array([7]) });
    refused(tns, 'registered', 8, 'again');
    // the replacement ends: from then on nothing more for it
    const replaceId = replace.type === 'op' ? replace.id : -1;
    relay.hostMessage('tns:dc1', { type: 'op-done', id: replaceId, mine: true });
    for (const h of [hes, dc1]) relay.hostMessage(h.name, { type: 'op-done', id: replaceId, mine: false });
    await sleep(100);
    relay.hostMessage('tns:dc1', { type: 'issue', id: 9, node: 'tn1.001' });
    refused(tns, 'issued', 9, 'not-pending');

    // one credential left the operator's side, and one admit went to the HES's host
    expect(issued).toBe(1);
    const withCredential = [hes, dc1, tns].flatMap((h) => h.got.filter((m) => m.type === 'issued' && m.credential !== undefined));
    expect(withCredential.length).toBe(1);
    expect([hes, dc1, tns].map((h) => h.got.filter((m) => m.type === 'op' && m.op === 'admit').length)).toEqual([1, 1, 1]);
    const rejected = samples.filter((s) => s.measurement === 'operator_rejected');
    expect(rejected.map((s) => [s.fields.from, s.tags.reason])).toEqual([
      ['tns:dc1', 'not-pending'],
      ['dc1', 'not-its-node'],
      ['hes', 'not-its-node'],
      ['tns:dc1', 'not-pending'],
      ['tns:dc1', 'not-issued'],
      ['tns:dc1', 'again'],
      ['tns:dc1', 'not-issued'],
      ['tns:dc1', 'not-issued'],
      ['tns:dc1', 'again'],
      ['tns:dc1', 'not-pending'],
    ]);
    const { failedSteps } = await finishWith(relay, hes, dc1, tns);
    expect(failedSteps).toEqual([]);
  });
});
