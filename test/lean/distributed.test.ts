/**
 * A distributed bench's processes hold only their own secrets: a DC's process loads the DC's
 * keys and the manufacturer's public key, not the other nodes' keys or the manufacturer's root.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLeanProvisioning, provisionState, stateStoreFor } from '../../bench/runner/provision';
import { parseScenario } from '../../bench/scenario/load';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { Topology } from '../../channel/topology';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { LeanMode } from '../../nodes/lean/lean-mode';
import { VirtualClock } from '../../nodes/runtime/clock';
import { NO_METRICS } from '../../nodes/runtime/metrics';
import { Random } from '../../nodes/runtime/random';

const dir = mkdtempSync(join(tmpdir(), 'gridbench-distributed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a node process of a distributed bench', () => {
  it('loads its own keys and the public provisioning only', async () => {
    const scenario = parseScenario('topology: { dcs: 2, tnsPerDc: 2 }\n', 'inline.yaml');
    provisionState(scenario, dir);
    const topology = Topology.build(2, 2);
    const clock = new VirtualClock();
    const network = createEmulatedNetwork({ topology, clock, random: new Random(1) });
    const crypto = CRYPTO_BACKENDS.node;
    const dcProcess = new LeanMode({
      topology,
      network,
      clock,
      crypto: { hes: crypto, dc: crypto, tn: crypto },
      metrics: NO_METRICS,
      random: new Random(1),
      storeFor: stateStoreFor(dir),
      provisioned: loadLeanProvisioning(dir),
      local: (node) => node === 'dc1',
    });
    expect(dcProcess.keysOf('dc1').sign.secretKey).toHaveLength(32);
    for (const other of ['hes', 'dc2', 'tn1.001']) expect(() => dcProcess.keysOf(other)).toThrow(/no node/);
    await expect(dcProcess.firmware({ version: 2, image: new Uint8Array(10) }, 1_000)).rejects.toThrow(/does not hold/);
    expect(dcProcess.allowList.check('tn1.001', 'tn', new Uint8Array(32), 'dc1')).toMatch(/other than the provisioned/);
    await dcProcess.close();
    await network.close();
  });
});
