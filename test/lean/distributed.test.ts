/**
 * A distributed bench's processes hold only their own secrets: a DC's process loads the DC's
 * keys and the manufacturer's public key, not the other nodes' keys or the manufacturer's root.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportHostState, provisionState } from '../../bench/runner/provision';
import { parseScenario } from '../../bench/scenario/load';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../core/topology';
import { loadLeanProvisioning } from '../../nodes/lean/provisioning';
import { createMode } from '../../nodes/modes';
import type { Operator } from '../../nodes/mode';
import { stateStoreFor } from '../../nodes/store/state-dir';
import { VirtualClock } from '../../core/clock';
import { NO_METRICS } from '../../core/metrics';
import { Random } from '../../core/random';
import { peekClassName } from '../../nodes/protocol/message-class';
import { GoalOracle, topologyMembership, type ProtocolObserver } from '../../nodes/oracle/goal-oracle';
import type { LeanMode } from '../../nodes/lean/lean-mode';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-distributed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const topology = Topology.build(2, 2);
const scenario = parseScenario('topology: { dcs: 2, tnsPerDc: 2 }\n', 'inline.yaml');

/** One emulated wire on one virtual clock, for node processes to share or each to have its own. */
function wire() {
  const clock = new VirtualClock();
  return { clock, network: createEmulatedNetwork({ topology, clock, random: new Random(1), classify: peekClassName }) };
}

/**
 * A node process of the bench running the `local` nodes from stateDir, on its own emulated wire
 * or on one it shares with other processes; with the goal oracle and the operator it is given.
 */
function nodeProcess(
  stateDir: string,
  local: (node: string) => boolean,
  shared?: { wire: ReturnType<typeof wire>; observer?: ProtocolObserver; operator?: Operator },
) {
  const { clock, network } = shared?.wire ?? wire();
  const mode = createMode('lean', {
    topology,
    network,
    clock,
    metrics: NO_METRICS,
    random: new Random(1),
    storeFor: stateStoreFor(stateDir),
    local,
    ...(shared?.observer ? { observer: shared.observer } : {}),
    ...(shared?.operator ? { operator: shared.operator } : {}),
    options: { provisioned: loadLeanProvisioning(stateDir) },
  });
  // a shared wire is its owner's to close
  return { mode, clock, close: () => Promise.all([mode.close(), shared ? undefined : network.close()]) };
}

describe('a node process of a distributed bench', () => {
  it('loads its own keys and the public provisioning only', async () => {
    provisionState(scenario, dir);
    const { mode: dcProcess, close } = nodeProcess(dir, (node) => node === 'dc1');
    expect(dcProcess.keysOf('dc1').sign.secretKey).toHaveLength(32);
    for (const other of ['hes', 'dc2', 'tn1.001']) expect(() => dcProcess.keysOf(other)).toThrow(/no node/);
    await expect(dcProcess.firmware({ version: 2, image: new Uint8Array(10) }, 1_000)).rejects.toThrow(
      /the HES does not run in this process/,
    );
    expect(dcProcess.allowList.check('tn1.001', 'tn', new Uint8Array(32), 'dc1')).toMatch(/other than the provisioned/);
    await close();
  });

  it("is handed a state directory holding its own nodes' stores only, and runs from it", async () => {
    const state = join(dir, 'state-hosts');
    provisionState(scenario, state);
    const handed = (selection: string) => {
      const hostDir = join(dir, 'hosts', selection.replace(':', '-'));
      exportHostState(scenario, state, selection, hostDir);
      return hostDir;
    };
    const tnsHost = handed('tns:dc1');
    expect(readdirSync(tnsHost).sort()).toEqual(['channel', 'lean-provisioning.json', 'tn1.001', 'tn1.002']);
    for (const record of readdirSync(join(tnsHost, 'tn1.001'))) {
      const mode = statSync(join(tnsHost, 'tn1.001', record)).mode & 0o777;
      expect(mode, record).toBe(statSync(join(state, 'tn1.001', record)).mode & 0o777);
    }
    expect(readdirSync(handed('hes')).sort()).toEqual(['channel', 'hes', 'lean-provisioning.json']);
    expect(readdirSync(handed('dc2')).sort()).toEqual(['channel', 'dc2', 'lean-provisioning.json']);

    const tnHost = nodeProcess(tnsHost, (node) => node === 'tn1.001' || node === 'tn1.002');
    // running opens no store of a node the host was not handed
    expect(readdirSync(tnsHost).sort()).toEqual(['channel', 'lean-provisioning.json', 'tn1.001', 'tn1.002']);
    // the keys it runs with are the provisioned ones, not new ones made in its own directory
    const provisioned = nodeProcess(state, (node) => node === 'tn1.001');
    const tnProcess = tnHost.mode;
    expect(tnProcess.keysOf('tn1.001').sign.publicKey).toEqual(provisioned.mode.keysOf('tn1.001').sign.publicKey);
    for (const other of ['hes', 'dc1', 'tn2.001']) expect(() => tnProcess.keysOf(other)).toThrow(/no node/);
    await Promise.all([tnHost.close(), provisioned.close()]);

    // handed again (the lab provisions at every start), a host keeps what its nodes have stored since
    writeFileSync(join(tnsHost, 'tn1.001', 'counter'), '{"value":41}');
    handed('tns:dc1');
    expect(readFileSync(join(tnsHost, 'tn1.001', 'counter'), 'utf8')).toBe('{"value":41}');

    expect(() => exportHostState(scenario, join(dir, 'nowhere'), 'dc1', join(dir, 'hosts', 'x'))).toThrow(
      /nowhere\/lean-provisioning\.json: missing/,
    );
    expect(() => exportHostState(scenario, state, 'dc9', join(dir, 'hosts', 'y'))).toThrow(/--nodes dc9: "dc9" is not a node/);
  });

  it('replaces a DC it runs and re-enrols the TNs it runs with the new unit, not those of another process', async () => {
    const state = join(dir, 'state-replace');
    provisionState(scenario, state);
    const { mode, clock, close } = nodeProcess(state, (node) => node !== 'tn1.002');
    try {
      expect((await clock.drive(mode.bootstrap())).failed).toEqual([]);
      const oldUnit = mode.keysOf('dc1').sign.publicKey;
      await clock.drive(mode.replace('dc1'));
      expect(mode.keysOf('dc1').sign.publicKey).not.toEqual(oldUnit);
      expect(mode.tns.has('tn1.002')).toBe(false);
      // tn1.001 holds the new unit's certificate: it takes the new unit's command
      mode.automation('dc1', { relay: 'on' });
      await clock.advance(1_000);
      expect(mode.tns.get('tn1.001')!.relayState).toBe(true);
    } finally {
      await close();
    }
  });

  it("judges what the old unit accepts while the operator registers the new one at the HES's process as the old unit's", async () => {
    const state = join(dir, 'state-replace-judged');
    provisionState(scenario, state);
    // two processes on one wire: the HES and DCs in one, the TNs in the other, one goal oracle
    const shared = wire();
    const { clock, network } = shared;
    const oracle = new GoalOracle(topologyMembership(topology));
    const hesSide = nodeProcess(state, (node) => topology.roleOf(node) !== 'tn', { wire: shared, observer: oracle }).mode;
    const tnSide = nodeProcess(state, (node) => topology.roleOf(node) === 'tn', {
      wire: shared,
      observer: oracle,
      operator: {
        issue: () => Promise.reject(new Error('lean issues no credential')),
        // registering at another process takes time: the old unit serves meanwhile
        register: async (node, entry) => {
          await clock.sleep(2_000);
          (hesSide as LeanMode).admit(node, entry);
        },
      },
    }).mode;
    try {
      await clock.drive(Promise.all([hesSide.bootstrap(), tnSide.bootstrap()]));
      const accepted = () => oracle.tally('fresh_authentic_DC').accepted;
      const before = accepted();
      // a command on its way to dc1's TNs when tn1.001's replacement starts: the old unit takes it
      hesSide.automation('dc1', { relay: 'on' });
      await clock.drive(tnSide.replace('tn1.001'));
      expect(accepted()).toBe(before + 2);
      expect(oracle.violations).toEqual([]);
      // and the new unit takes the DC's next command as its own
      hesSide.automation('dc1', { relay: 'off' });
      await clock.advance(5_000);
      expect(accepted()).toBe(before + 4);
      expect(oracle.violations).toEqual([]);
    } finally {
      await Promise.all([hesSide.close(), tnSide.close(), network.close()]);
    }
  });

  it('refuses to replace a node it does not run, or without the HES, before changing anything', async () => {
    const state = join(dir, 'state-replace-remote');
    provisionState(scenario, state);
    const tnHost = nodeProcess(state, (node) => node === 'tn1.001');
    const withHes = nodeProcess(state, (node) => node === 'hes' || node === 'tn1.001');
    try {
      const keys = tnHost.mode.keysOf('tn1.001').sign.publicKey;
      await expect(tnHost.mode.replace('tn1.001')).rejects.toThrow(/replacing tn1\.001 needs tn1\.001 and the HES in this process/);
      await expect(withHes.mode.replace('dc1')).rejects.toThrow(/replacing dc1 needs dc1 and the HES in this process/);
      await expect(withHes.mode.replace('hes')).rejects.toThrow(/only DCs and TNs can be replaced, not "hes"/);
      // nothing was provisioned anew: the refused replacement left the unit's keys and allow-list entry
      expect(tnHost.mode.keysOf('tn1.001').sign.publicKey).toEqual(keys);
      expect(readdirSync(state).filter((f) => f.includes('~'))).toEqual([]);
    } finally {
      await Promise.all([tnHost.close(), withHes.close()]);
    }
  });
});
