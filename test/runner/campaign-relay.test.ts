/**
 * The campaign relay (bench/runner/campaign-relay.ts) on its own: a real broker and attack port,
 * and the hosts played by the test, saying what a lab host or a --processes child says
 * (host-messages.ts). What the relay judges and what it answers are asserted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startAttackPort } from '../../channel/attack-port';
import { Topology } from '../../core/topology';
import { CampaignRelay, type RelayHost } from '../../bench/runner/campaign-relay';
import type { HostMessage, Observed, ParentMessage } from '../../bench/runner/host-messages';
import { loadScenario } from '../../bench/scenario/load';
import { MessageClass } from '../../nodes/protocol/message-class';
import { zmqWire } from '../channel/wire-bench';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-campaign-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'campaign-relay-test-token';
const opened: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A host played by the test: it can die and come back; what the relay sends it is kept. */
class TestHost implements RelayHost {
  living = true;
  readonly got: ParentMessage[] = [];
  constructor(readonly name: string) {}
  alive(): boolean {
    return this.living;
  }
  send(m: ParentMessage): void {
    this.got.push(m);
  }
}

/** A relay over a real attack port, its hosts the test's, no campaign. */
async function relayOf(hosts: readonly TestHost[]) {
  const file = join(dir, 'relay.yaml');
  writeFileSync(file, ['name: relay', 'seed: 3', 'modes: [lean]', 'duration: 10s', 'topology: { dcs: 1, tnsPerDc: 2 }'].join('\n'));
  const scenario = loadScenario(file);
  const wire = await zmqWire({ dcs: 1, tns: 2 });
  opened.push(wire);
  const port = await startAttackPort(wire.broker.control, { endpoint: 'tcp://127.0.0.1:0', token: TOKEN });
  opened.push(port);
  const log: string[] = [];
  const relay = await CampaignRelay.connect({
    scenario,
    modeName: 'lean',
    topology: Topology.build(1, 2),
    campaigns: [],
    tags: {},
    attack: { endpoint: port.endpoint, token: TOKEN },
    hosts: () => hosts,
    record: () => {},
    log: (line) => log.push(line),
  });
  opened.push({ close: () => relay.finish() });
  return { relay, log };
}

// an automation command dc1 signed for its segment, and tn1.001 accepting it
const SIGNED = new Uint8Array([MessageClass.Automation, 1, 2, 3]);
const sent = (at: number): Observed => ({ at, kind: 'sent', sender: 'dc1', signed: SIGNED });
const accepted = (at: number): Observed => ({
  at,
  kind: 'accepted',
  acceptance: {
    node: 'tn1.001',
    cls: MessageClass.Automation,
    sender: 'dc1',
    recipient: 'dc1',
    counter: 1,
    signed: SIGNED,
    signerKey: new Uint8Array(32),
  },
});
const observed = (events: Observed[], upTo: number): HostMessage => ({ type: 'observed', events, upTo });
/** Two drain periods of the relay (500 ms each) and then some. */
const TICKS_MS = 1_300;

describe('the campaign relay judges what the hosts observed', () => {
  it("judges an event only once every living host's batches are in up to its time, however late a host's batch", async () => {
    const dc1 = new TestHost('dc1');
    const tns = new TestHost('tns:dc1');
    const { relay } = await relayOf([dc1, tns]);
    // 3 s ago dc1 sent a command and tn1.001 accepted it; the TNs' host said so at once, dc1's host
    // is loaded: its batches so far say it has sent everything up to 4 s ago only
    const t = Date.now() - 3_000;
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    relay.hostMessage('dc1', observed([], t - 1_000));
    // judged now, at a fixed lag, the acceptance would be of a command nobody sent
    await sleep(TICKS_MS);
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    const { violations } = await relay.finish();
    expect(violations).toEqual([]);
  });

  it('does not wait for a host that is gone: what the others said is judged without it', async () => {
    const dc1 = new TestHost('dc1');
    const tns = new TestHost('tns:dc1');
    const { relay } = await relayOf([dc1, tns]);
    const t = Date.now() - 3_000;
    relay.hostMessage('tns:dc1', observed([accepted(t)], Date.now()));
    // dc1's host never said anything and dies: the acceptance is judged without its batches
    dc1.living = false;
    relay.hostGone('dc1');
    await sleep(TICKS_MS);
    // proof that it was: what dc1's host says when it comes back (its backlog) comes too late for it
    dc1.living = true;
    relay.hostMessage('dc1', observed([sent(t - 10)], Date.now()));
    const { violations } = await relay.finish();
    expect(violations.map((v) => v.detail)).toEqual(['tn1.001 accepted Automation #1 that no genuine party sent']);
  });
});
