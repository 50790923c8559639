import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryNodeStore } from '../../nodes/store/node-store';
import { createPki } from '../../nodes/tls/pki';
import { hasPki, loadPki, savePki } from '../../nodes/tls/pki-store';
import { RecordScanner, type RecordSpan } from '../../nodes/tls/issue-stamps';

const tns = ['tn1.001', 'tn1.002', 'tn1.003'];

describe('the smgw-tls PKI in a state directory', () => {
  it('loads back what was saved: the root, the HES and the TNs asked for, and the root still issues', () => {
    const pki = createPki({ curve: 'brainpoolP256r1', hes: 'hes', tns });
    const store = new MemoryNodeStore();
    savePki(pki, store);
    expect(hasPki(store)).toBe(true);
    const loaded = loadPki(store, ['tn1.002'], 'state/pki');
    expect(loaded.curve).toBe('brainpoolP256r1');
    expect(loaded.rootPem).toBe(pki.rootPem);
    expect(loaded.hes).toEqual(pki.hes);
    expect(loaded.tn('tn1.002')).toEqual(pki.tn('tn1.002'));
    expect(() => loaded.tn('tn1.001')).toThrow(/tn1\.001/); // not asked for: not loaded
    const root = new X509Certificate(loaded.rootPem);
    expect(new X509Certificate(loaded.enrolTn('tn1.004').certPem).verify(root.publicKey)).toBe(true);
    expect(loaded.manufacturerPublicKey.equals(pki.manufacturerPublicKey)).toBe(true);
  });

  it('names the file that is missing or does not fit', () => {
    const store = new MemoryNodeStore();
    expect(() => loadPki(store, [], 'state/pki')).toThrow(/state\/pki: no pki\.json/);
    savePki(createPki({ hes: 'hes', tns }), store);
    expect(() => loadPki(store, ['tn9.999'], 'state/pki')).toThrow(/state\/pki\/tn9\.999-cert\.pem: missing/);
    store.put('tn1.001-key.pem', store.get('tn1.002-key.pem')!);
    expect(() => loadPki(store, ['tn1.001'], 'state/pki')).toThrow(/tn1\.001-key\.pem: does not belong to tn1\.001-cert\.pem/);
    store.put('tn1.003-cert.pem', store.get('tn1.002-cert.pem')!);
    expect(() => loadPki(store, ['tn1.003'], 'state/pki')).toThrow(/tn1\.003-cert\.pem: names .*CN=tn1\.002.*not tn1\.003/);
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
