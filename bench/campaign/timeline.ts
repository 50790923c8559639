/**
 * A YAML campaign's steps: checked on load against the topology and the steps before them, and
 * run on the run's schedule. Each step acts through the attacker of its goal, so everything it
 * puts on the wire is attributed to that goal; the campaign host awaits it and reports a failure.
 */
import type { Matcher } from '../../channel/interceptor';
import type { Topology } from '../../core/topology';
import { MESSAGE_CLASS_NAMES } from '../../nodes/protocol/message-class';
import type { Schedule } from '../runner/schedule';
import type { CampaignGoal } from './goals';
import type { CampaignFile, Step } from './schema';
import {
  stepKind,
  type CampaignContext,
  type CampaignHost,
  type Defined,
  type StepKind,
  type TimelineCheck,
  type TimelineState,
} from './step';

/** A problem a timeline has on its face, at a field path such as `steps.3.replay.recording`. */
export interface TimelineProblem {
  readonly field: string;
  readonly message: string;
}

const kindOf = (step: Step): StepKind => stepKind(step.kind)!;

/** Problems a timeline has on its face: references to steps or keys it does not have, unknown nodes, links, classes. */
export function checkTimeline(timeline: CampaignFile, topology: Topology): TimelineProblem[] {
  const problems: TimelineProblem[] = [];
  const ordered = timeline.steps.map((step, index) => ({ step, index })).sort((a, b) => a.step.at - b.step.at || a.index - b.index);
  const defined = new Map<Defined, Set<string>>();
  const links = new Set(['plc', 'wan', ...topology.dcs.flatMap((d) => [`plc:${d.id}`, `wan:${d.id}`])]);
  const classes = new Set(Object.values(MESSAGE_CLASS_NAMES));
  const list = (v: string | readonly string[] | undefined) => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
  for (const { step, index } of ordered) {
    const path = (field: string | null) => [`steps.${index}`, ...(field === null ? [] : [step.kind]), ...(field ? [field] : [])].join('.');
    const at: TimelineCheck = {
      topology,
      problem: (field, message) => problems.push({ field: path(field), message }),
      node(id, field, role) {
        const r = topology.roleOf(id);
        if (!r || (role && r !== role)) at.problem(field, `"${id}" is not ${role ? `a ${role.toUpperCase()}` : 'a node'} of this topology`);
      },
      destination: (id, field) => id === '*' || at.node(id, field),
      matcher(m: Matcher | undefined, field) {
        for (const l of list(m?.link))
          if (!links.has(l)) at.problem(`${field}.link`, `"${l}" is not a link (plc, wan, plc:dc1, wan:dc1...)`);
        for (const c of list(m?.class))
          if (!classes.has(c)) at.problem(`${field}.class`, `"${c}" is not a message class (${[...classes].join(', ')})`);
        for (const f of list(m?.from)) at.node(f, `${field}.from`);
        for (const t of list(m?.to)) at.destination(t, `${field}.to`);
      },
      define: (what, name) => void defined.set(what, (defined.get(what) ?? new Set()).add(name)),
      defined: (what, name) => defined.get(what)?.has(name) ?? false,
    };
    kindOf(step).check?.(step.config, at);
  }
  return problems;
}

/** Schedules every step of a timeline that applies to the mode; those that do not are logged, not run. */
export function runTimeline(name: string, timeline: CampaignFile, schedule: Schedule, host: CampaignHost, ctx: CampaignContext): void {
  const state: TimelineState = { recordings: new Map(), interceptors: new Map(), random: ctx.random.fork(`campaign/${name}/flood`) };
  const skipped = new Map<string, number>();
  timeline.steps.forEach((step, index) => {
    const kind = kindOf(step);
    const reason = kind.inapplicable?.(step.config, ctx.mode);
    if (reason) {
      skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
      return;
    }
    const goal: CampaignGoal = step.goal ?? timeline.goal;
    schedule.at(step.at * (ctx.timeScale ?? 1), () =>
      host.runStep({ campaign: name, step: index, kind: kind.name }, () =>
        kind.run(step.config, {
          campaign: name,
          goal,
          at: step.at,
          attacker: host.attacker(name, goal),
          context: ctx,
          timeline: state,
          host,
        }),
      ),
    );
  });
  for (const [reason, count] of skipped) ctx.log?.(`campaign ${name}: ${count} steps ${reason} and do not apply to ${ctx.modeName} mode`);
}
