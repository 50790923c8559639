/**
 * Executes a YAML campaign's steps on the run's schedule. Each step acts through the attacker of
 * its goal, so everything it puts on the wire is attributed to that goal.
 */
import type { Recording } from '../attack/attacker';
import type { Topology } from '../../core/topology';
import { signFrame } from '../../nodes/lean/frame-builders';
import { MESSAGE_CLASS_NAMES, MessageClass, WIRE_VERSION } from '../../nodes/protocol/message-class';
import type { Matcher } from '../../channel/interceptor';
import { ALL_TNS } from '../../nodes/protocol/frame-fields';
import { SEGMENT_BROADCAST } from '../../core/transport';
import type { Schedule } from '../runner/schedule';
import type { CampaignContext, CampaignRunner } from './campaign-runner';
import type { CampaignFile, CampaignGoal, Step } from './schema';

/** Problems a timeline has on its face: references to steps or keys it does not have, unknown nodes. */
export function checkTimeline(timeline: CampaignFile, topology: Topology): string[] {
  const problems: string[] = [];
  const ordered = timeline.steps.map((step, index) => ({ step, index })).sort((a, b) => a.step.at - b.step.at || a.index - b.index);
  const recorded = new Set<string>();
  const interceptors = new Set<string>();
  const compromised = new Set<string>();
  const node = (id: string, where: string, role?: 'dc' | 'tn' | 'hes') => {
    const r = topology.roleOf(id);
    if (!r || (role && r !== role))
      problems.push(`${where}: "${id}" is not ${role ? `a ${role.toUpperCase()}` : 'a node'} of this topology`);
  };
  const destination = (id: string, where: string) => id === '*' || node(id, where);
  const links = new Set(['plc', 'wan', ...topology.dcs.flatMap((d) => [`plc:${d.id}`, `wan:${d.id}`])]);
  const classes = new Set(Object.values(MESSAGE_CLASS_NAMES));
  const list = (v: string | readonly string[] | undefined) => (v === undefined ? [] : typeof v === 'string' ? [v] : v);
  // a matcher naming something that does not exist selects nothing, silently: refuse it here
  const matcher = (m: Matcher | undefined, where: string) => {
    for (const l of list(m?.link)) if (!links.has(l)) problems.push(`${where}.link: "${l}" is not a link (plc, wan, plc:dc1, wan:dc1...)`);
    for (const c of list(m?.class))
      if (!classes.has(c)) problems.push(`${where}.class: "${c}" is not a message class (${[...classes].join(', ')})`);
    for (const f of list(m?.from)) node(f, `${where}.from`);
    for (const t of list(m?.to)) destination(t, `${where}.to`);
  };
  for (const { step, index } of ordered) {
    const where = `steps.${index}`;
    if ('record' in step) {
      recorded.add(step.record.id);
      matcher(step.record.match, `${where}.record.match`);
    }
    if ('replay' in step && step.replay.as) {
      node(step.replay.as.from, `${where}.replay.as.from`);
      destination(step.replay.as.to, `${where}.replay.as.to`);
    }
    if ('interceptor' in step) matcher(step.interceptor.match, `${where}.interceptor.match`);
    if ('replay' in step && !recorded.has(step.replay.recording))
      problems.push(`${where}.replay.recording: no earlier record step "${step.replay.recording}"`);
    if ('interceptor' in step) interceptors.add(step.interceptor.id);
    if ('remove' in step && !interceptors.has(step.remove)) problems.push(`${where}.remove: no earlier interceptor step "${step.remove}"`);
    if ('compromise' in step) {
      node(step.compromise, `${where}.compromise`);
      compromised.add(step.compromise);
    }
    const signer = 'forge' in step ? step.forge.signer : 'rogueFirmware' in step ? step.rogueFirmware.signer : undefined;
    if (signer && signer !== 'attacker' && !compromised.has(signer))
      problems.push(`${where}: signer "${signer}" was not compromised by an earlier step`);
    if ('forge' in step) {
      node(step.forge.from, `${where}.forge.from`);
      destination(step.forge.to, `${where}.forge.to`);
    }
    if ('rogueFirmware' in step) node(step.rogueFirmware.from, `${where}.rogueFirmware.from`, 'dc');
    if ('jam' in step) node(step.jam.segment, `${where}.jam.segment`, 'dc');
    if ('flood' in step) {
      node(step.flood.from, `${where}.flood.from`);
      destination(step.flood.to, `${where}.flood.to`);
    }
    if ('powerRestored' in step) node(step.powerRestored, `${where}.powerRestored`, 'dc');
    if ('automation' in step) node(step.automation.dc, `${where}.automation.dc`, 'dc');
    if ('replace' in step) {
      const r = topology.roleOf(step.replace);
      if (r !== 'dc' && r !== 'tn') problems.push(`${where}.replace: "${step.replace}" is not a DC or TN of this topology`);
    }
  }
  return problems;
}

export function runTimeline(name: string, timeline: CampaignFile, schedule: Schedule, runner: CampaignRunner, ctx: CampaignContext): void {
  const recordings = new Map<string, Recording>();
  const interceptorIds = new Map<string, string>();
  const random = ctx.random.fork(`campaign/${name}/flood`);
  // steps that act with a compromised node's lean keys have nothing to act with in smgw-tls mode
  const needsKeys = (step: Step) =>
    'compromise' in step ||
    ('forge' in step && step.forge.signer !== 'attacker') ||
    ('rogueFirmware' in step && step.rogueFirmware.signer !== 'attacker');
  const skipped = ctx.mode.keysOf ? [] : timeline.steps.filter(needsKeys);
  if (skipped.length)
    ctx.log?.(`campaign ${name}: ${skipped.length} steps need lean-protocol keys and do not apply to ${ctx.modeName} mode`);
  timeline.steps.forEach((step, index) => {
    if (skipped.includes(step)) return;
    const goal: CampaignGoal = step.goal ?? timeline.goal;
    schedule.at(step.at, () => {
      try {
        execute(step, goal);
      } catch (err) {
        ctx.log?.(`campaign ${name}, step ${index}: ${(err as Error).message}`);
      }
    });
  });

  function execute(step: Step, goal: CampaignGoal): void {
    const attacker = runner.attacker(name, goal);
    const control = ctx.network.control;
    if ('record' in step) {
      recordings.set(step.record.id, attacker.record(step.record.match));
    } else if ('replay' in step) {
      const frames = recordings.get(step.replay.recording)?.frames ?? [];
      const picked =
        step.replay.pick === 'all' ? frames : frames.length ? [step.replay.pick === 'first' ? frames[0]! : frames.at(-1)!] : [];
      for (let t = 0; t < step.replay.times; t++) for (const f of picked) attacker.replay(f, step.replay.as);
    } else if ('interceptor' in step) {
      const id = `${name}:${goal}:${step.interceptor.id}`;
      control.addInterceptor({ ...step.interceptor, id });
      interceptorIds.set(step.interceptor.id, id);
      runner.trackInterceptor(id);
    } else if ('remove' in step) {
      const id = interceptorIds.get(step.remove);
      if (id) control.removeInterceptor(id);
    } else if ('compromise' in step) {
      attacker.compromise(step.compromise);
    } else if ('forge' in step) {
      const { signer, from, to, count } = step.forge;
      const key = signer === 'attacker' ? attacker.keys.sign.secretKey : attacker.compromise(signer).sign.secretKey;
      const unsigned =
        step.forge.class === 'automation'
          ? { cls: MessageClass.Automation as const, ...step.forge.fields }
          : { cls: MessageClass.MeterRequest as const, ...step.forge.fields };
      const { frame } = signFrame(unsigned, key, attacker.crypto);
      for (let i = 0; i < count; i++) attacker.inject(from, to, frame);
    } else if ('rogueFirmware' in step) {
      const { version, size, signer, from } = step.rogueFirmware;
      const image = new Uint8Array(size).map((_, i) => (i * 7 + version) & 0xff);
      const firmware = attacker.rogueManufacturer.signFirmware(version, image);
      let manifest = firmware.manifest;
      if (signer !== 'attacker') {
        // the manufacturer's name on a manifest signed with a compromised node's key
        manifest = signFrame(
          {
            cls: MessageClass.FirmwareManifest,
            issuer: 'mfr',
            group: ALL_TNS,
            version,
            size,
            chunkSize: 200,
            digest: attacker.crypto.sha256(image),
          },
          attacker.compromise(signer).sign.secretKey,
          attacker.crypto,
        ).frame;
      }
      for (const frame of [manifest, ...firmware.chunks]) attacker.inject(from, SEGMENT_BROADCAST, frame);
    } else if ('jam' in step) {
      const id = `${name}:${goal}:jam-${step.jam.segment}-${step.at}`;
      control.addInterceptor({ id, type: 'jam', match: { link: `plc:${step.jam.segment}` }, config: { durationMs: step.jam.duration } });
      ctx.clock.setTimer(step.jam.duration, () => control.removeInterceptor(id));
    } else if ('flood' in step) {
      const { from, to, frames, over, bytes } = step.flood;
      const gap = over / frames;
      for (let i = 0; i < frames; i++) {
        ctx.clock.setTimer(i * gap, () => {
          const junk = new Uint8Array(bytes).map(() => random.int(256));
          junk[0] = WIRE_VERSION;
          junk[1] = MessageClass.Automation;
          attacker.inject(from, to, junk);
        });
      }
    } else if ('powerRestored' in step) {
      ctx.mode.powerRestored?.(step.powerRestored);
    } else if ('automation' in step) {
      ctx.mode.automation(step.automation.dc, { relay: step.automation.relay });
    } else if ('firmware' in step) {
      const { version, size, timeout } = step.firmware;
      void ctx.mode.firmware({ version, image: new Uint8Array(size).map((_, i) => (i * 13 + version) & 0xff) }, timeout);
    } else if ('replace' in step) {
      if (!ctx.mode.replace) throw new Error(`${ctx.modeName} mode does not replace nodes`);
      void ctx.mode.replace(step.replace);
    }
  }
}
