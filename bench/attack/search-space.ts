/**
 * The moves of the searching attacker (docs/DESIGN.md section 3: the wire and compromised nodes),
 * as campaign steps, so that a sequence it finds is a campaign `gridbench run` replays. A trial is
 * a bounded sequence of moves, drawn one after the other from a seeded stream, each knowing what
 * came before it (what was recorded, which nodes were replaced or compromised):
 *   - honest traffic to attack: firmware rollouts (rising versions), automation commands,
 *     confidential messages (meter rounds come from the scenario's workload);
 *   - lifecycle events: a DC or TN replaced (optionally with its enrolment held back on the wire
 *     meanwhile, and the new unit fed recorded traffic in that window), power restored on a segment;
 *   - wire moves: drop, delay, reorder or duplicate a class on a link for a while; replay recorded
 *     frames on their link or to any receiver; splice fields of two recorded frames; relabel a
 *     recorded frame's class;
 *   - key moves (modes whose nodes hold keys): compromise a node, forge with its key, read and
 *     re-encrypt confidential messages with it, broadcast firmware it signed.
 * Every class on every PLC link is recorded from the start: the attacker's knowledge is the wire.
 */
import type { Random } from '../../core/random';
import type { Topology } from '../../core/topology';
import type { NodeId } from '../../core/transport';

/** A step as a campaign YAML has it (`at` in whole seconds). */
export type RawStep = { readonly at: string } & Record<string, unknown>;

/** One move: the steps it takes (an interceptor and its removal, a compromise and a forgery...). */
export interface Move {
  readonly kind: string;
  readonly steps: readonly RawStep[];
}

export interface Trial {
  /** The recordings every trial starts with. */
  readonly records: readonly RawStep[];
  readonly moves: readonly Move[];
}

export interface SearchSpace {
  readonly topology: Topology;
  /** Whether the mode's nodes hold keys the attacker can compromise (lean). */
  readonly keys: boolean;
  /** Moves per trial: 1..depth. */
  readonly depth: number;
  /** Latest move time (s). */
  readonly horizonS: number;
}

/** The classes recorded per PLC link, by recording group. */
export const RECORDED: Readonly<Record<string, readonly string[]>> = {
  firmware: ['firmware-manifest', 'firmware-chunk'],
  automation: ['automation'],
  confidential: ['confidential'],
  request: ['meter-request'],
  response: ['meter-response'],
  enrolment: ['tn-key', 'tn-ack', 'tn-enrolment', 'counter-anchor', 'dc-csr', 'dc-enrolment'],
  tls: ['tls-record'],
};

const at = (s: number): string => `${s}s`;
const pick = <T>(random: Random, xs: readonly T[]): T => xs[random.int(xs.length)]!;

interface State {
  t: number;
  version: number;
  interceptors: number;
  readonly replaced: NodeId[];
  readonly compromised: Set<NodeId>;
  /** Recording groups with traffic on the wire whatever the trial does (meter rounds, enrolments). */
  readonly ambient: readonly string[];
  /** Recording groups of the honest traffic this trial's moves made: what the attacker most wants to replay. */
  readonly made: Set<string>;
}

export function recordSteps(topology: Topology): RawStep[] {
  return topology.dcs.flatMap((dc) =>
    Object.entries(RECORDED).map(([group, classes]) => ({
      at: at(0),
      record: { id: `${group}-${dc.id}`, match: { link: `plc:${dc.id}`, class: classes.length === 1 ? classes[0]! : [...classes] } },
    })),
  );
}

/** Draws one trial. */
export function drawTrial(space: SearchSpace, random: Random): Trial {
  const state: State = {
    t: 0,
    version: 1,
    interceptors: 0,
    replaced: [],
    compromised: new Set(),
    ambient: space.keys ? ['request', 'response', 'enrolment'] : ['tls'],
    made: new Set(),
  };
  const moves: Move[] = [];
  const next = () => (state.t = Math.min(space.horizonS, state.t + pick(random, [1, 2, 5, 10, 30, 60])));
  // first some honest traffic for the attacker to learn from, then moves of every kind
  for (let i = random.int(4); i > 0; i--) {
    next();
    moves.push(pick(random, [firmware, firmware, automation, confidential])(space, random, state));
  }
  for (let i = 1 + random.int(space.depth); i > 0; i--) {
    next();
    moves.push(drawMove(space, random, state));
  }
  return { records: recordSteps(space.topology), moves };
}

type Draw = (space: SearchSpace, random: Random, s: State) => Move;

function drawMove(space: SearchSpace, random: Random, s: State): Move {
  const table: Array<[number, Draw]> = [
    [1, firmware],
    [1, automation],
    [2, confidential],
    [2, replace],
    [1, powerRestored],
    [2, interceptor],
    [3, replay],
    [0.5, splice],
    [0.5, relabel],
  ];
  if (space.keys) table.push([0.5, compromise], [0.5, forge], [0.5, rogueFirmware], [s.compromised.size ? 0.5 : 0, reencrypt]);
  const total = table.reduce((sum, [w]) => sum + w, 0);
  let r = random.float() * total;
  for (const [w, draw] of table) {
    r -= w;
    if (r < 0) return draw(space, random, s);
  }
  return table[0]![1](space, random, s);
}

const dcs = (space: SearchSpace) => space.topology.dcs.map((d) => d.id);
const tns = (space: SearchSpace) => space.topology.tns;
/** A TN, more often one replaced in this trial (lifecycle interleavings are where attacks hide). */
const target = (space: SearchSpace, random: Random, s: State): NodeId => {
  const replacedTns = s.replaced.filter((n) => space.topology.roleOf(n) === 'tn');
  return replacedTns.length && random.chance(0.6) ? pick(random, replacedTns) : pick(random, tns(space));
};
const segmentOf = (space: SearchSpace, node: NodeId): NodeId => (space.topology.roleOf(node) === 'dc' ? node : space.topology.dcOf(node)!);

const firmware: Draw = (_space, _random, s) => {
  s.made.add('firmware');
  return { kind: 'firmware', steps: [{ at: at(s.t), firmware: { version: ++s.version, size: '1KiB', timeout: '5m' } }] };
};

const automation: Draw = (space, random, s) => {
  s.made.add('automation');
  return { kind: 'automation', steps: [{ at: at(s.t), automation: { dc: pick(random, dcs(space)), relay: pick(random, ['on', 'off']) } }] };
};

const confidential: Draw = (space, random, s) => {
  s.made.add('confidential');
  return { kind: 'confidential', steps: [{ at: at(s.t), confidential: { tn: target(space, random, s), text: `secret ${s.t}` } }] };
};

const replace: Draw = (space, random, s) => {
  const node = random.chance(0.8) ? pick(random, tns(space)) : pick(random, dcs(space));
  s.replaced.push(node);
  const steps: RawStep[] = [{ at: at(s.t), replace: node }];
  if (random.chance(0.5)) {
    // the attacker holds the new unit's enrolment back on its segment for a while
    const id = `hold${++s.interceptors}`;
    const held = pick(random, [30, 120, 600]);
    const match = { link: `plc:${segmentOf(space, node)}`, class: [...RECORDED.enrolment!] };
    steps.unshift({ at: at(Math.max(0, s.t - 1)), interceptor: { id, type: 'drop', match } });
    steps.push({ at: at(s.t + held), remove: id });
    if (s.made.size && random.chance(0.5)) {
      // ...and feeds the new unit, in that window, all it recorded of some honest traffic
      const recording = `${pick(random, [...s.made])}-${segmentOf(space, node)}`;
      const to = space.topology.roleOf(node) === 'tn' ? node : '*';
      steps.push({ at: at(s.t + 2), replay: { recording, pick: 'all', as: { from: segmentOf(space, node), to } } });
    }
  }
  return { kind: 'replace', steps };
};

const powerRestored: Draw = (space, random, s) => ({
  kind: 'powerRestored',
  steps: [{ at: at(s.t), powerRestored: pick(random, dcs(space)) }],
});

const interceptor: Draw = (space, random, s) => {
  const type = pick(random, ['drop', 'drop', 'delay', 'reorder', 'duplicate']);
  const id = `i${++s.interceptors}`;
  const group = pick(random, Object.keys(RECORDED));
  const match: Record<string, unknown> = { link: `plc:${pick(random, dcs(space))}`, class: [...RECORDED[group]!] };
  if (random.chance(0.5)) match.direction = pick(random, ['up', 'down']);
  const config =
    type === 'delay' ? { config: { ms: pick(random, [500, 5_000, 30_000]) } } : type === 'reorder' ? { config: { window: 2 } } : {};
  const lasts = pick(random, [5, 30, 120]);
  return {
    kind: type,
    steps: [
      { at: at(s.t), interceptor: { id, type, match, ...config } },
      { at: at(s.t + lasts), remove: id },
    ],
  };
};

/** A recording with traffic so far, on one DC's segment. */
const recording = (space: SearchSpace, random: Random, s: State): string => {
  const group = s.made.size && random.chance(0.6) ? pick(random, [...s.made]) : pick(random, s.ambient);
  return `${group}-${pick(random, dcs(space))}`;
};

/** Where a replayed or made-up frame goes: its own link's receivers, or any node as any DC. */
const receiver = (space: SearchSpace, random: Random, s: State): { from: NodeId; to: string } => {
  const to = random.chance(0.7) ? target(space, random, s) : '*';
  return { from: to === '*' ? pick(random, dcs(space)) : segmentOf(space, to), to };
};

const replay: Draw = (space, random, s) => {
  const config: Record<string, unknown> = { recording: recording(space, random, s), pick: pick(random, ['first', 'last', 'all', 'all']) };
  if (random.chance(0.6)) config.as = receiver(space, random, s);
  return { kind: 'replay', steps: [{ at: at(s.t), replay: config }] };
};

const splice: Draw = (space, random, s) => ({
  kind: 'splice',
  steps: [
    {
      at: at(s.t),
      splice: {
        head: recording(space, random, s),
        tail: recording(space, random, s),
        at: 2 + random.int(60),
        ...receiver(space, random, s),
      },
    },
  ],
});

const relabel: Draw = (space, random, s) => ({
  kind: 'relabel',
  steps: [
    {
      at: at(s.t),
      relabel: {
        recording: recording(space, random, s),
        class: pick(random, Object.values(RECORDED).flat()),
        ...receiver(space, random, s),
      },
    },
  ],
});

/** Compromises a node now unless one is already held; returns the holder and the steps to get it. */
function holder(space: SearchSpace, random: Random, s: State): { node: NodeId; steps: RawStep[] } {
  if (s.compromised.size && random.chance(0.7)) return { node: pick(random, [...s.compromised]), steps: [] };
  const node = pick(random, [...dcs(space), ...tns(space)]);
  s.compromised.add(node);
  return { node, steps: [{ at: at(s.t), compromise: node }] };
}

const compromise: Draw = (space, random, s) => ({ kind: 'compromise', steps: holder(space, random, s).steps });

const forge: Draw = (space, random, s) => {
  const h = holder(space, random, s);
  const signer = random.chance(0.2) ? 'attacker' : h.node;
  const dc = pick(random, dcs(space));
  const counter = pick(random, [1, 1_000, 1_000_000]);
  const forged = random.chance(0.5)
    ? { class: 'automation', fields: { dc, group: dc, counter, relay: pick(random, [0, 1]) } }
    : { class: 'meter-request', fields: { hes: space.topology.hes, group: '*', counter } };
  return { kind: 'forge', steps: [...h.steps, { at: at(s.t), forge: { ...forged, signer, ...receiver(space, random, s) } }] };
};

const rogueFirmware: Draw = (space, random, s) => {
  const h = holder(space, random, s);
  const signer = random.chance(0.3) ? 'attacker' : h.node;
  return {
    kind: 'rogueFirmware',
    steps: [
      ...h.steps,
      { at: at(s.t), rogueFirmware: { version: s.version + 1 + random.int(50), size: '1KiB', signer, from: pick(random, dcs(space)) } },
    ],
  };
};

const reencrypt: Draw = (space, random, s) => {
  const h = holder(space, random, s);
  const victim = target(space, random, s);
  return {
    kind: 'reencrypt',
    steps: [
      ...h.steps,
      {
        at: at(s.t),
        reencrypt: { recording: `confidential-${pick(random, dcs(space))}`, holder: h.node, for: victim, from: segmentOf(space, victim) },
      },
    ],
  };
};

/** The campaign steps of a trial, in time order. */
export function stepsOf(trial: Trial): RawStep[] {
  return [...trial.records, ...trial.moves.flatMap((m) => m.steps)].sort((a, b) => parseInt(a.at) - parseInt(b.at));
}
