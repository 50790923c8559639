/**
 * smgw-tls mode in a state directory of a distributed bench, made once by `gridbench provision`:
 * the run's PKI (root, HES server certificate, one client certificate per TN, the manufacturer's
 * firmware key) in TLS_PKI_STORE (pki-store.ts), private keys with mode 0600. Every certificate is
 * issued there: the root's private key is read by provisioning only. A host is handed, and loads,
 * the root certificate and its own nodes' secrets; never the root's key, nor another node's.
 */
import { join } from 'node:path';
import type { NodeId } from '../../core/transport';
import type { ProvisionContext } from '../mode';
import { FileNodeStore } from '../store/node-store';
import { createPki, type Credential, type Pki } from './pki';
import {
  exportPki,
  hasCredential,
  hasManufacturerKey,
  hasPki,
  loadPki,
  loadPkiAuthority,
  saveCredential,
  saveManufacturerKey,
  savePki,
} from './pki-store';
import type { TlsModeOptions } from './tls-config';

export const TLS_PKI_STORE = 'smgw-tls-pki';

/**
 * Creates the PKI in the state directory, or completes one made for a smaller topology; one made
 * for another curve or HES is refused, naming its file.
 */
export function provisionTlsPki(ctx: ProvisionContext<TlsModeOptions>): void {
  const { topology, stateDir } = ctx;
  const curve = ctx.options.curve ?? 'P-256';
  const dir = join(stateDir, TLS_PKI_STORE);
  const store = new FileNodeStore(dir);
  if (!hasPki(store)) {
    savePki(createPki({ curve, hes: topology.hes, tns: topology.tns }), store);
    return;
  }
  const pki = loadPkiAuthority(store, dir);
  if (pki.curve !== curve)
    throw new Error(
      `${dir}/pki.json: the PKI is on ${pki.curve}, the scenario's smgw-tls.curve is ${curve} (use another --state directory)`,
    );
  if (pki.hesId !== topology.hes) throw new Error(`${dir}/pki.json: the PKI's HES is "${pki.hesId}", the topology's "${topology.hes}"`);
  // a PKI saved before firmware had a key of its own (the root signed it) gets one
  if (!hasManufacturerKey(store)) saveManufacturerKey(store, pki);
  for (const tn of topology.tns) if (!hasCredential(store, tn)) saveCredential(store, pki.enrolTn(tn));
}

/**
 * The provisioned PKI as a node process that runs the `local` nodes loads it: the root
 * certificate and the manufacturer's public key; the HES's credential and the manufacturer's
 * firmware key only if it runs the HES; the credentials of the TNs it runs. Errors name the state
 * directory and the missing or broken file.
 */
export function loadStatePki(stateDir: string, topology: ProvisionContext<unknown>['topology'], local: (node: NodeId) => boolean): Pki {
  const dir = join(stateDir, TLS_PKI_STORE);
  return loadPki(new FileNodeStore(dir), { hes: local(topology.hes), tns: topology.tns.filter(local) }, dir);
}

/** Copies a host the public PKI records and its own nodes' credentials (exportPki); a broken share is refused, naming the file. */
export function exportTlsHostState(ctx: ProvisionContext<TlsModeOptions>, hostDir: string, nodes: ReadonlySet<NodeId>): void {
  const { topology, stateDir } = ctx;
  const from = join(stateDir, TLS_PKI_STORE);
  const to = join(hostDir, TLS_PKI_STORE);
  exportPki(
    new FileNodeStore(from),
    { hes: nodes.has(topology.hes), tns: topology.tns.filter((tn) => nodes.has(tn)) },
    new FileNodeStore(to),
    { from, to },
  );
}

/**
 * A replacement unit's credential (ModeDefinition.issueReplacement): the operator, who holds the
 * root in the state directory, issues the new unit of `tn` a key pair and certificate of its own
 * and hands them to the process that runs the TN (ModeContext.operator); the root's key stays here.
 */
export function issueTlsReplacement(ctx: ProvisionContext<TlsModeOptions>, tn: NodeId): Credential {
  if (ctx.topology.roleOf(tn) !== 'tn') throw new Error(`replace: only a TN's new unit needs a certificate, not "${tn}"'s`);
  const dir = join(ctx.stateDir, TLS_PKI_STORE);
  return loadPkiAuthority(new FileNodeStore(dir), dir).issue(tn);
}
