/**
 * The oracle for the seven security goals of docs/DESIGN.md 2.1. Genuine parties (manufacturer, HES,
 * honest DCs and TNs) tell it what they issued and sent; every node tells it what it accepted.
 * An acceptance that no genuine party sent, or a second acceptance of the same content by the
 * same node, or a firmware install that does not raise the version, is a violation of its goal.
 * The security tests and the attack campaigns assert that violations stay at zero.
 */
import { createHash } from 'node:crypto';
import type { Topology } from '../../core/topology';
import { decodeCertificate } from '../protocol/certificate';
import { ALL_TNS } from '../protocol/frame-fields';
import { MessageClass } from '../protocol/message-class';
import type { NodeId } from '../../core/transport';

/**
 * The manufacturer's id: the issuer of firmware in both modes (and of the HES certificate in lean),
 * the sender the oracle judges an install under.
 */
export const MANUFACTURER_ID = 'mfr';

export const GOALS = [
  'authentic_certs_DC',
  'authentic_certs_TN',
  'fresh_authentic_HES',
  'secure_TN_HES',
  'secure_HES_TN',
  'fresh_authentic_DC',
  'fresh_authentic_FW',
] as const;
export type Goal = (typeof GOALS)[number];

export interface Acceptance {
  /** The node that accepted. */
  readonly node: NodeId;
  readonly cls: MessageClass;
  /** The authenticated sender (or issuer, for firmware). */
  readonly sender: NodeId;
  /** The recipient or group the verified content names ('*' for every TN). */
  readonly recipient: string;
  /** Counter, or firmware version. */
  readonly counter: number;
  /** The signed bytes that were verified. */
  readonly signed: Uint8Array;
  /** The public key the signature was verified with: one message is its content under one key. */
  readonly signerKey: Uint8Array;
  /** Certificates accepted with an enrolment. */
  readonly certificates?: readonly Uint8Array[];
  /** The bench attack that delivered the frame, if any (from ReceivedFrame.attack). */
  readonly attack?: string;
}

/** What nodes report to. A node without an observer reports nowhere. */
export interface ProtocolObserver {
  issued(certificate: Uint8Array): void;
  sent(sender: NodeId, signed: Uint8Array): void;
  accepted(acceptance: Acceptance): void;
  /** A new unit took a node's place: its own firmware history starts (messages stay judged per node). */
  replaced(node: NodeId): void;
}

export const NO_OBSERVER: ProtocolObserver = { issued() {}, sent() {}, accepted() {}, replaced() {} };

/** Whether content addressed to `recipient` (a node, a DC's group, or '*') is meant for `node`. */
export type Membership = (node: NodeId, recipient: string) => boolean;

/** Membership on a topology: '*' is every TN, a DC id the TNs of that DC, any other id itself. */
export function topologyMembership(topology: Pick<Topology, 'roleOf' | 'dcOf'>): Membership {
  return (node, recipient) =>
    recipient === node ||
    (recipient === ALL_TNS && topology.roleOf(node) === 'tn') ||
    (topology.roleOf(recipient) === 'dc' && topology.dcOf(node) === recipient);
}

export interface Violation {
  readonly goal: Goal;
  readonly node: NodeId;
  readonly detail: string;
  readonly attack?: string;
}

export interface GoalTally {
  accepted: number;
  violations: number;
}

const GOAL_OF_CLASS: Partial<Record<MessageClass, Goal>> = {
  [MessageClass.DcEnrolment]: 'authentic_certs_DC',
  [MessageClass.TnEnrolment]: 'authentic_certs_TN',
  [MessageClass.MeterRequest]: 'fresh_authentic_HES',
  [MessageClass.MeterResponse]: 'secure_TN_HES',
  [MessageClass.Confidential]: 'secure_HES_TN',
  [MessageClass.Automation]: 'fresh_authentic_DC',
  [MessageClass.FirmwareManifest]: 'fresh_authentic_FW',
};

/** Counters that must rise from one accepted message to the next, per receiving node and signer key. */
const COUNTER_SPACE: Partial<Record<MessageClass, string>> = {
  [MessageClass.MeterRequest]: 'hes-request',
  [MessageClass.Confidential]: 'hes-confidential',
  [MessageClass.Automation]: 'dc',
};

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');

/**
 * A violation is any acceptance that: no genuine party sent (under that sender's name); was meant
 * for someone else; repeats content already accepted under the same key; does not raise the
 * counter of its stream; installs firmware that does not rise, or that is older than the fleet's
 * when a replacement unit arrived; or brings a certificate that was never issued or was
 * superseded by a newer one for the same subject.
 */
export class GoalOracle implements ProtocolObserver {
  private readonly issuedCerts = new Set<string>();
  /** subject -> digest of the certificate issued for it last */
  private readonly latestCert = new Map<string, string>();
  /** digest of signed bytes -> genuine sender */
  private readonly genuine = new Map<string, NodeId>();
  private readonly seen = new Set<string>();
  private readonly lastCounter = new Map<string, number>();
  private readonly installedVersion = new Map<NodeId, number>();
  /** A replacement unit's floor: the newest firmware any unit ran when it arrived. */
  private readonly floor = new Map<NodeId, number>();
  private readonly tallies = new Map<Goal, GoalTally>(GOALS.map((g) => [g, { accepted: 0, violations: 0 }]));
  readonly violations: Violation[] = [];

  constructor(private readonly membership?: Membership) {}

  issued(certificate: Uint8Array): void {
    const d = digest(certificate);
    this.issuedCerts.add(d);
    const cert = decodeCertificate(certificate);
    if (cert.ok) this.latestCert.set(cert.value.subject, d);
  }

  sent(sender: NodeId, signed: Uint8Array): void {
    this.genuine.set(digest(signed), sender);
  }

  replaced(node: NodeId): void {
    // the new unit comes with factory firmware: its history starts, but not below the fleet's
    const fleet = Math.max(0, ...this.installedVersion.values());
    this.installedVersion.delete(node);
    this.floor.set(node, fleet);
  }

  accepted(a: Acceptance): void {
    const goal = GOAL_OF_CLASS[a.cls];
    if (!goal) return;
    const tally = this.tallies.get(goal)!;
    tally.accepted++;
    const problem = this.judge(a);
    if (problem) {
      tally.violations++;
      this.violations.push({ goal, node: a.node, detail: problem, ...(a.attack ? { attack: a.attack } : {}) });
    }
  }

  tally(goal: Goal): GoalTally {
    return { ...this.tallies.get(goal)! };
  }

  violationsOf(goal: Goal): number {
    return this.tallies.get(goal)!.violations;
  }

  get totalViolations(): number {
    return this.violations.length;
  }

  private judge(a: Acceptance): string | undefined {
    const what = `${MessageClass[a.cls]} #${a.counter}`;
    if (a.cls === MessageClass.DcEnrolment || a.cls === MessageClass.TnEnrolment) {
      for (const c of a.certificates ?? []) {
        const d = digest(c);
        if (!this.issuedCerts.has(d)) return `${a.node} accepted a certificate the manufacturer/HES never issued`;
        const cert = decodeCertificate(c);
        if (cert.ok && this.latestCert.get(cert.value.subject) !== d)
          return `${a.node} accepted a certificate of ${cert.value.subject} that a newer one superseded`;
      }
      return undefined;
    }
    const d = digest(a.signed);
    const sender = this.genuine.get(d);
    if (sender === undefined) return `${a.node} accepted ${what} that no genuine party sent`;
    if (sender !== a.sender) return `${a.node} accepted ${what} from ${a.sender}, but ${sender} sent it`;
    if (this.membership && !this.membership(a.node, a.recipient)) return `${a.node} accepted ${what} meant for ${a.recipient}`;
    if (a.cls === MessageClass.FirmwareManifest) {
      const before = this.installedVersion.get(a.node) ?? 0;
      const floor = this.floor.get(a.node) ?? 0;
      this.installedVersion.set(a.node, Math.max(before, a.counter));
      if (a.counter <= before) return `${a.node} installed firmware ${a.counter} over ${before}`;
      return a.counter < floor ? `${a.node}, a replacement unit, installed firmware ${a.counter} below the fleet's ${floor}` : undefined;
    }
    const key = `${a.node}\u0000${d}\u0000${digest(a.signerKey)}`;
    if (this.seen.has(key)) return `${a.node} accepted ${what} twice`;
    this.seen.add(key);
    const space = COUNTER_SPACE[a.cls];
    if (space) {
      const stream = `${a.node}\u0000${space}\u0000${digest(a.signerKey)}`;
      const last = this.lastCounter.get(stream);
      this.lastCounter.set(stream, Math.max(last ?? 0, a.counter));
      if (last !== undefined && a.counter <= last) return `${a.node} accepted ${what} after #${last} of the same stream`;
    }
    return undefined;
  }
}
