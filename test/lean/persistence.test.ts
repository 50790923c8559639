import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Topology } from '../../core/topology';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { toHex } from '../../core/bytes';
import { GoalOracle, topologyMembership } from '../../nodes/oracle/goal-oracle';
import { Manufacturer } from '../../nodes/lean/manufacturer';
import { createMode } from '../../nodes/modes';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { FileNodeStore, MemoryNodeStore, getJson } from '../../nodes/store/node-store';
import { createEmulatedNetwork } from '../../channel/emulated-network';
import { peekClassName } from '../../nodes/protocol/message-class';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gridbench-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('FileNodeStore', () => {
  it('writes secret records readable by the owner only and leaves no temporary file behind', () => {
    const store = new FileNodeStore(tempDir());
    store.put('keys', new Uint8Array([1, 2, 3]), { secret: true });
    store.put('counters', new Uint8Array([4]));
    store.put('counters', new Uint8Array([5]));
    expect(statSync(join(store.dir, 'keys')).mode & 0o777).toBe(0o600);
    expect([...store.get('counters')!]).toEqual([5]);
    expect(readdirSync(store.dir).sort()).toEqual(['counters', 'keys']);
    expect(store.get('missing')).toBeUndefined();
  });

  it('names the record when its content is corrupt', () => {
    const store = new FileNodeStore(tempDir());
    writeFileSync(join(store.dir, 'counters'), '{not json');
    expect(() => getJson(store, 'counters')).toThrow(/counters/);
  });
});

describe('MemoryNodeStore', () => {
  it('gives back every byte value as it was put, in copies the caller cannot change the record through', () => {
    const store = new MemoryNodeStore();
    // every byte value, past the 64 bytes V8 keeps in its heap, and a record over a pooled Buffer's size
    const record = Uint8Array.from({ length: 600 }, (_, i) => (i * 7) % 256);
    const large = Uint8Array.from({ length: 9_000 }, (_, i) => 255 - (i % 256));
    store.put('keys', record);
    store.put('firmware', large);
    record[0] = 99;
    const got = store.get('keys')!;
    expect(got).toBeInstanceOf(Uint8Array);
    expect(got[0]).toBe(0);
    expect([...got.subarray(1)]).toEqual([...record.subarray(1)]);
    got[1] = 42;
    expect(store.get('keys')![1]).toBe(7);
    expect(store.get('firmware')).toEqual(large);
    expect(store.get('missing')).toBeUndefined();
    expect(store.list('k')).toEqual(['keys']);
    expect(() => store.put('../escape', record)).toThrow(/invalid record name/);
  });
});

describe('restart', () => {
  function bench(root: string) {
    const clock = new VirtualClock();
    const topology = Topology.build(1, 3);
    const recorder = new SampleRecorder();
    const network = createEmulatedNetwork({ topology, clock, random: new Random(7).fork('channel'), classify: peekClassName });
    const frames: Uint8Array[] = [];
    network.control.tap((event) => frames.push(event.bytes));
    const oracle = new GoalOracle(topologyMembership(topology));
    const mode = createMode('lean', {
      topology,
      network,
      clock,
      metrics: recorder.metrics(clock),
      random: new Random(7),
      storeFor: (node) => new FileNodeStore(join(root, node)),
      observer: oracle,
      options: { manufacturer: Manufacturer.fromStore(new FileNodeStore(join(root, 'manufacturer')), CRYPTO_BACKENDS.node) },
    });
    return { clock, network, frames, recorder, mode, oracle };
  }

  it('keeps keys, certificates, counters and the firmware version across a restart, so old frames stay refused', async () => {
    const root = tempDir();
    const first = bench(root);
    await first.clock.drive(first.mode.bootstrap());
    const command = first.mode.automation('dc1', { relay: 'on' });
    await first.clock.drive(first.mode.firmware({ version: 3, image: new Uint8Array(500).fill(1) }, 120_000));
    await first.clock.advance(1_000);
    expect(first.recorder.select('automation_latency')).toHaveLength(3);
    const oldCommand = first.frames.find((bytes) => bytes[1] === 0x13)!;
    await first.mode.close();
    await first.network.close();

    const second = bench(root);
    const boot = await second.clock.drive(second.mode.bootstrap());
    expect(boot.failed).toEqual([]);
    expect(boot.durationMs).toBe(0); // nobody had to enrol again
    for (const tn of second.mode.tns.values()) {
      expect(tn.firmwareVersion).toBe(3);
      expect(tn.lastCounters.dc).toBe(1);
    }
    second.network.control.inject({ from: 'dc1', to: 'tn1.001', bytes: oldCommand });
    await second.clock.advance(1_000);
    expect(second.recorder.select('frame_rejected', { reason: 'stale-counter' })).toHaveLength(1);
    const next = second.mode.automation('dc1', { relay: 'off' });
    await second.clock.advance(1_000);
    expect(second.recorder.select('automation_latency')).toHaveLength(3);
    expect(second.recorder.select('automation_latency')[0]!.fields.counter).toBe(2);
    expect(command.issuedAt).toBeLessThanOrEqual(next.issuedAt);
    await second.mode.close();
    await second.network.close();
  });

  it('refuses to start a DC or a TN whose stored certificates no longer verify, naming the node', async () => {
    const root = tempDir();
    const first = bench(root);
    await first.clock.drive(first.mode.bootstrap());
    await first.mode.close();
    await first.network.close();
    const certs = (node: string) => join(root, node, 'certs');
    const original = { dc: readFileSync(certs('dc1'), 'utf8'), tn: readFileSync(certs('tn1.002'), 'utf8') };
    // one byte of the stored DC certificate altered on disk
    const swapped = (json: string) => {
      const chain = JSON.parse(json) as { hesCert: string; dcCert: string };
      const flipped = chain.dcCert.slice(0, -2) + (chain.dcCert.endsWith('00') ? '01' : '00');
      return JSON.stringify({ ...chain, dcCert: flipped });
    };
    writeFileSync(certs('dc1'), swapped(original.dc));
    expect(() => bench(root)).toThrow(/^DC dc1: stored certificates no longer verify: /);
    writeFileSync(certs('dc1'), original.dc);
    writeFileSync(certs('tn1.002'), swapped(original.tn));
    expect(() => bench(root)).toThrow(/^TN tn1\.002: stored certificates no longer verify: /);
    writeFileSync(certs('tn1.002'), original.tn);
    const restored = bench(root);
    expect((await restored.clock.drive(restored.mode.bootstrap())).durationMs).toBe(0);
    await restored.mode.close();
    await restored.network.close();
  });

  it('never writes a private key outside the secret key record', async () => {
    const root = tempDir();
    const b = bench(root);
    await b.clock.drive(b.mode.bootstrap());
    await b.mode.close();
    await b.network.close();
    for (const node of ['hes', 'dc1', 'tn1.001']) {
      const identity = b.mode.keysOf(node);
      const dir = join(root, node);
      for (const file of readdirSync(dir)) {
        const content = readFileSync(join(dir, file), 'utf8');
        const holdsSecret = content.includes(toHex(identity.sign.secretKey)) || content.includes(toHex(identity.enc.secretKey));
        expect({ file, holdsSecret }).toEqual({ file, holdsSecret: file === 'keys' });
        if (file === 'keys') expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
      }
    }
  });
});
