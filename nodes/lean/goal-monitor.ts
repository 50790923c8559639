/**
 * The oracle for the seven security goals of DESIGN.md 2.1. Genuine parties (manufacturer, HES,
 * honest DCs and TNs) tell it what they issued and sent; every node tells it what it accepted.
 * An acceptance that no genuine party sent, or a second acceptance of the same content by the
 * same node, or a firmware install that does not raise the version, is a violation of its goal.
 * The security tests and the attack campaigns assert that violations stay at zero.
 */
import { createHash } from 'node:crypto';
import { MessageClass } from '../protocol/message-class';
import type { NodeId } from '../runtime/transport';

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
  /** Counter, or firmware version. */
  readonly counter: number;
  /** The signed bytes that were verified, and their signature (what makes one message). */
  readonly signed: Uint8Array;
  readonly signature: Uint8Array;
  /** Certificates accepted with an enrolment. */
  readonly certificates?: readonly Uint8Array[];
  /** The bench attack that delivered the frame, if any (from ReceivedFrame.attack). */
  readonly attack?: string;
}

/** What nodes report to. A node without an observer reports nowhere. */
export interface ProtocolObserver {
  issued(certificate: Uint8Array): void;
  sent(sender: NodeId, signed: Uint8Array, signature: Uint8Array): void;
  accepted(acceptance: Acceptance): void;
  /** A new unit took a node's place: its own firmware history starts (messages stay judged per node). */
  replaced(node: NodeId): void;
}

export const NO_OBSERVER: ProtocolObserver = { issued() {}, sent() {}, accepted() {}, replaced() {} };

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

const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');

export class GoalMonitor implements ProtocolObserver {
  private readonly issuedCerts = new Set<string>();
  /** digest of signed bytes -> genuine sender */
  private readonly genuine = new Map<string, NodeId>();
  private readonly seen = new Set<string>();
  private readonly installedVersion = new Map<NodeId, number>();
  private readonly tallies = new Map<Goal, GoalTally>(GOALS.map((g) => [g, { accepted: 0, violations: 0 }]));
  readonly violations: Violation[] = [];

  issued(certificate: Uint8Array): void {
    this.issuedCerts.add(digest(certificate));
  }

  sent(sender: NodeId, signed: Uint8Array, _signature: Uint8Array): void {
    this.genuine.set(digest(signed), sender);
  }

  replaced(node: NodeId): void {
    // the new unit comes with factory firmware; installing the current release is its first install
    this.installedVersion.delete(node);
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
    if (a.cls === MessageClass.DcEnrolment || a.cls === MessageClass.TnEnrolment) {
      const forged = (a.certificates ?? []).filter((c) => !this.issuedCerts.has(digest(c)));
      return forged.length ? `${a.node} accepted ${forged.length} certificate(s) the manufacturer/HES never issued` : undefined;
    }
    const d = digest(a.signed);
    const sender = this.genuine.get(d);
    if (sender === undefined) return `${a.node} accepted ${MessageClass[a.cls]} #${a.counter} that no genuine party sent`;
    if (sender !== a.sender) return `${a.node} accepted ${MessageClass[a.cls]} from ${a.sender}, but ${sender} sent it`;
    if (a.cls === MessageClass.FirmwareManifest) {
      const before = this.installedVersion.get(a.node) ?? 0;
      this.installedVersion.set(a.node, Math.max(before, a.counter));
      return a.counter <= before ? `${a.node} installed firmware ${a.counter} over ${before}` : undefined;
    }
    // one message is its content and its signature: a new unit with a new key that sends the same
    // content (its counter restarted) sends a new message; a replay repeats both
    const key = `${a.node}\u0000${d}\u0000${digest(a.signature)}`;
    if (this.seen.has(key)) return `${a.node} accepted ${MessageClass[a.cls]} #${a.counter} twice`;
    this.seen.add(key);
    return undefined;
  }
}
