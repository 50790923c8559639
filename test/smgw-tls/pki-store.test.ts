import { sign, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryNodeStore } from '../../nodes/store/node-store';
import { createPki, PkiAuthority } from '../../nodes/smgw-tls/pki';
import { hasManufacturerKey, hasPki, loadPki, loadPkiAuthority, savePki } from '../../nodes/smgw-tls/pki-store';
import { RecordScanner, type RecordSpan } from '../../nodes/smgw-tls/issue-stamps';

const tns = ['tn1.001', 'tn1.002', 'tn1.003'];

/** A store that records every record read from it. */
function recordingStore(): { store: MemoryNodeStore; reads: Set<string> } {
  const store = new MemoryNodeStore();
  const reads = new Set<string>();
  const get = store.get.bind(store);
  store.get = (record: string) => {
    reads.add(record);
    return get(record);
  };
  return { store, reads };
}

const SECRETS = ['root-key.pem', 'hes-key.pem', 'manufacturer-key.pem', ...tns.map((tn) => `${tn}-key.pem`)];

describe('the smgw-tls PKI in a state directory', () => {
  it("a TN's process loads the root certificate and its own TNs' credentials, no other secret", () => {
    const pki = createPki({ curve: 'brainpoolP256r1', hes: 'hes', tns });
    const { store, reads } = recordingStore();
    savePki(pki, store);
    expect(hasPki(store)).toBe(true);
    reads.clear();
    const loaded = loadPki(store, { hes: false, tns: ['tn1.002'] }, 'state/pki');
    expect([...reads].filter((r) => SECRETS.includes(r))).toEqual(['tn1.002-key.pem']);
    expect(loaded).not.toBeInstanceOf(PkiAuthority);
    expect('issue' in loaded || 'enrolTn' in loaded || 'material' in loaded).toBe(false);
    expect(loaded.curve).toBe('brainpoolP256r1');
    expect(loaded.rootPem).toBe(pki.rootPem);
    expect(loaded.hesId).toBe('hes');
    expect(loaded.tn('tn1.002')).toEqual(pki.tn('tn1.002'));
    expect(loaded.tnIds).toEqual(['tn1.002']);
    expect(loaded.manufacturerPublicKey.equals(pki.manufacturerPublicKey)).toBe(true);
    // what it does not hold, it says so, naming the secret and its record
    expect(loaded.hes).toBeUndefined();
    expect(loaded.manufacturerKey).toBeUndefined();
    expect(() => loaded.hesCredential()).toThrow(/state\/pki\/hes-key\.pem: the HES's private key is not held by this process/);
    expect(() => loaded.firmwareSigningKey()).toThrow(
      /state\/pki\/manufacturer-key\.pem: the manufacturer's firmware-signing key is not held/,
    );
    expect(() => loaded.tn('tn1.001')).toThrow(/state\/pki\/tn1\.001-key\.pem: TN "tn1\.001"'s private key is not held/);
  });

  it("the HES's process loads the HES's credential and the firmware key, not the root's key nor a TN's", () => {
    const pki = createPki({ hes: 'hes', tns });
    const { store, reads } = recordingStore();
    savePki(pki, store);
    reads.clear();
    const loaded = loadPki(store, { hes: true, tns: [] }, 'state/pki');
    expect([...reads].filter((r) => SECRETS.includes(r)).sort()).toEqual(['hes-key.pem', 'manufacturer-key.pem']);
    expect(loaded.hesCredential()).toEqual(pki.hes);
    const signature = sign('sha256', Buffer.from('firmware'), loaded.firmwareSigningKey());
    expect(verify('sha256', Buffer.from('firmware'), pki.manufacturerPublicKey, signature)).toBe(true);
    // the manufacturer signs firmware with a key of its own, not the root's
    expect(pki.manufacturerPublicKey.equals(new X509Certificate(pki.rootPem).publicKey)).toBe(false);
    expect(() => loaded.tn('tn1.001')).toThrow(/tn1\.001-key\.pem/);
  });

  it('provisioning loads the whole PKI back, root key included, and the root still issues', () => {
    const pki = createPki({ hes: 'hes', tns });
    const store = new MemoryNodeStore();
    savePki(pki, store);
    const authority = loadPkiAuthority(store, 'state/pki');
    expect(authority.hes).toEqual(pki.hes);
    expect(authority.manufacturerKey.equals(pki.manufacturerKey)).toBe(true);
    const root = new X509Certificate(authority.rootPem);
    expect(new X509Certificate(authority.enrolTn('tn1.004').certPem).verify(root.publicKey)).toBe(true);
    // a PKI saved before firmware had a key of its own: loaded with a new one, for provisioning to save
    const older = new MemoryNodeStore();
    for (const record of store.list('')) if (!record.startsWith('manufacturer-')) older.put(record, store.get(record)!);
    expect(hasManufacturerKey(older)).toBe(false);
    expect(loadPkiAuthority(older, 'state/pki').manufacturerKey.equals(pki.manufacturerKey)).toBe(false);
    expect(() => loadPki(older, { hes: false, tns: [] }, 'state/pki')).toThrow(/state\/pki\/manufacturer-pub\.pem: missing/);
  });

  it('names the file that is missing or does not fit', () => {
    const store = new MemoryNodeStore();
    expect(() => loadPki(store, { hes: false, tns: [] }, 'state/pki')).toThrow(/state\/pki: no pki\.json/);
    savePki(createPki({ hes: 'hes', tns }), store);
    expect(() => loadPki(store, { hes: false, tns: ['tn9.999'] }, 'state/pki')).toThrow(/state\/pki\/tn9\.999-cert\.pem: missing/);
    store.put('tn1.001-key.pem', store.get('tn1.002-key.pem')!);
    expect(() => loadPki(store, { hes: false, tns: ['tn1.001'] }, 'state/pki')).toThrow(
      /tn1\.001-key\.pem: does not belong to tn1\.001-cert\.pem/,
    );
    store.put('tn1.003-cert.pem', store.get('tn1.002-cert.pem')!);
    expect(() => loadPki(store, { hes: false, tns: ['tn1.003'] }, 'state/pki')).toThrow(
      /tn1\.003-cert\.pem: names .*CN=tn1\.002.*not tn1\.003/,
    );
    const foreign = createPki({ hes: 'hes', tns: ['tn1.002'], organization: 'rogue PKI' });
    store.put('tn1.002-cert.pem', new TextEncoder().encode(foreign.tn('tn1.002').certPem));
    store.put('tn1.002-key.pem', new TextEncoder().encode(foreign.tn('tn1.002').keyPem));
    expect(() => loadPki(store, { hes: false, tns: ['tn1.002'] }, 'state/pki')).toThrow(/tn1\.002-cert\.pem: not issued by root-cert\.pem/);
    store.put(
      'manufacturer-key.pem',
      new TextEncoder().encode(foreign.manufacturerKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    );
    expect(() => loadPki(store, { hes: true, tns: [] }, 'state/pki')).toThrow(
      /manufacturer-key\.pem: does not belong to manufacturer-pub\.pem/,
    );
  });

  it('refuses a pki.json whose curve is not one of its own names, inherited ones (constructor) included', () => {
    const store = new MemoryNodeStore();
    savePki(createPki({ hes: 'hes', tns }), store);
    const manifest = JSON.parse(new TextDecoder().decode(store.get('pki.json')!)) as Record<string, unknown>;
    for (const curve of ['secp384r1', 'constructor', 'toString']) {
      store.put('pki.json', new TextEncoder().encode(JSON.stringify({ ...manifest, curve })));
      const refusal = `state/pki/pki.json: curve "${curve}" is not P-256 or brainpoolP256r1`;
      expect(() => loadPki(store, { hes: false, tns: [] }, 'state/pki')).toThrow(refusal);
      expect(() => loadPkiAuthority(store, 'state/pki')).toThrow(refusal);
    }
  });
});

describe('TLS record boundaries in a byte stream', () => {
  it('finds the same records however the stream is cut', () => {
    const record = (type: number, length: number) => [type, 3, 3, length >> 8, length & 0xff, ...new Array<number>(length).fill(7)];
    const stream = Uint8Array.from([...record(22, 300), ...record(20, 1), ...record(23, 34), ...record(23, 0), ...record(21, 26)]);
    const expected: RecordSpan[] = [
      { type: 22, start: 0, end: 305 },
      { type: 20, start: 305, end: 311 },
      { type: 23, start: 311, end: 350 },
      { type: 23, start: 350, end: 355 },
      { type: 21, start: 355, end: 386 },
    ];
    for (const piece of [1, 2, 3, 5, 64, stream.length]) {
      const scanner = new RecordScanner();
      const headers: RecordSpan[] = [];
      const ends: RecordSpan[] = [];
      for (let at = 0; at < stream.length; at += piece)
        scanner.push(stream.subarray(at, at + piece), { header: (r) => headers.push(r), end: (r) => ends.push(r) });
      expect(headers).toEqual(expected);
      expect(ends).toEqual(expected);
    }
  });
});
