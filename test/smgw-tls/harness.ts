import { Attacker } from '../../bench/attack/attacker';
import { createEmulatedNetwork, type EmulatedNetwork } from '../../channel/emulated-network';
import { PRESETS } from '../../channel/presets';
import { Topology } from '../../core/topology';
import { CRYPTO_BACKENDS } from '../../nodes/crypto';
import { VirtualClock } from '../../core/clock';
import { SampleRecorder } from '../../core/metrics';
import { Random } from '../../core/random';
import { createMode, type ModeSetup } from '../../nodes/modes';
import type { TlsMode, TlsModeOptions } from '../../nodes/smgw-tls/tls-mode';
import { peekClassName } from '../../nodes/protocol/message-class';

/** smgw-tls mode on the channel's in-process emulated network, on a virtual clock. */
export interface TlsBench {
  readonly clock: VirtualClock;
  readonly topology: Topology;
  readonly network: EmulatedNetwork;
  readonly recorder: SampleRecorder;
  readonly mode: TlsMode;
  close(): Promise<void>;
}

export type PlcPreset = 'pass-through' | 'g3-plc-cenelec-a';

/** `mode`: smgw-tls's own options; `setup`: the generic context (relays, compute, observer, timeouts). */
export function tlsBench(
  options: {
    dcs?: number;
    tns?: number;
    plc?: PlcPreset;
    seed?: number;
    mode?: TlsModeOptions;
    setup?: Omit<ModeSetup<TlsModeOptions>, 'topology' | 'clock' | 'network' | 'random' | 'options'>;
  } = {},
): TlsBench {
  const clock = new VirtualClock();
  const topology = Topology.build(options.dcs ?? 1, options.tns ?? 3);
  const recorder = new SampleRecorder();
  const random = new Random(options.seed ?? 1);
  const plc = options.plc ?? 'g3-plc-cenelec-a';
  const network = createEmulatedNetwork({
    topology,
    clock,
    random: random.fork('channel'),
    classify: peekClassName,
    profileFor: (link) => ({ preset: link.kind === 'plc' ? plc : 'dsl' }),
  });
  const profile = PRESETS[plc];
  const mode = createMode('smgw-tls', {
    clock,
    network,
    topology,
    random,
    metrics: recorder.metrics(clock, { run: 'test' }),
    plc: () => ({ ...profile, maxFrameBytes: Math.min(profile.maxFrameBytes, 1280) }),
    ...options.setup,
    options: options.mode ?? {},
  });
  return {
    clock,
    topology,
    network,
    recorder,
    mode,
    async close() {
      await mode.close();
      await network.close();
    },
  };
}

/** Frame bytes that entered the PLC segment of a DC so far (both directions). */
export function segmentBytes(bench: TlsBench, dc = 'dc1'): number {
  const link = bench.network.control.stats().links[`plc:${dc}`];
  return link ? link.up.bytesOffered + link.down.bytesOffered : 0;
}

/** An attacker on the bench's wire whose frames carry `label` (a campaign uses `<campaign>:<goal>`). */
export function attackerOn(bench: TlsBench, label: string): Attacker {
  return new Attacker({ control: bench.network.control, crypto: CRYPTO_BACKENDS.node, name: label });
}

export interface Refusal {
  readonly role: string;
  readonly reason: string;
  readonly class: string;
  readonly tn?: string;
  readonly attack?: string;
}

/** Every `frame_rejected` sample so far, as the tags that say who refused what and for which attack. */
export function refusals(bench: TlsBench): Refusal[] {
  return bench.recorder.select('frame_rejected').map(({ tags }) => ({
    role: tags.role!,
    reason: tags.reason!,
    class: tags.class!,
    ...(tags.tn ? { tn: tags.tn } : {}),
    ...(tags.attack ? { attack: tags.attack } : {}),
  }));
}
