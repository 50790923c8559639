import { z } from 'zod';
import { ConfigError, parseConfig, readConfigText } from '../core/config';
import type { NodeId } from '../core/transport';
import { isLoopback } from './control-http';
import { createInterceptor, interceptorSpecSchema, type InterceptorSpec } from './interceptor';
import './interceptors';
import { PRESETS } from './presets';
import { deepMerge, profileSpecSchema, resolveProfile, ProfileError, type ProfileSpec } from './profile';
import { linkName, Topology, type LinkId } from '../core/topology';

/**
 * The broker's YAML config (`gridbench channel --config FILE`):
 *
 *   seed: 42                          # logged; every random draw of the run derives from it
 *   topology:                         # either explicit ...
 *     hes: hes
 *     dcs: [{ id: dc1, tns: [tn1.001, tn1.002] }]
 *   # topology: { generate: { dcs: 2, tnsPerDc: 100 } }   # ... or generated (hes, dc1.., tn1.001..)
 *   links:
 *     wan: { preset: dsl }            # every WAN link
 *     plc: { preset: g3-plc-cenelec-a, loss: { p: 0.05 } }   # every PLC segment
 *     overrides:                      # one link; a preset here replaces the kind's, fields merge
 *       plc:dc2: { preset: prime-1.3-cenelec-a }
 *   broker: { endpoint: tcp://127.0.0.1:5555, keys: /state/channel-host }   # keys: nodes prove who they are (CURVE)
 *   control: { host: 127.0.0.1, port: 8474 }   # token required when host is not loopback
 *   attack: { endpoint: tcp://127.0.0.1:5600, token: <16+ characters>, idleMs: 60000 }   # campaigns in another process
 *                                             (without token: the one gridbench provision made in broker.keys)
 *   metrics: { intervalMs: 1000, file: channel-metrics.jsonl }
 *   interceptors: [{ type: drop, match: { class: automation }, probability: 0.1 }]
 *   bridges:                          # TCP through an emulated link, both directions shaped
 *     - { listen: 127.0.0.1:9000, upstream: 127.0.0.1:8443, client: tn1.001, server: dc1 }
 *       # optional: segmentBytes, bufferBytes (2 x bandwidth-delay), maxConnections (64), maxRetransmits (8),
 *       #           rto: { initialRtoMs: 1000, minRtoMs: 1000, maxRtoMs: 60000 }
 */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9000');

const topologySchema = z.union([
  z.object({ generate: z.object({ dcs: z.number().int().min(1), tnsPerDc: z.number().int().min(0) }).strict() }).strict(),
  z
    .object({
      hes: z.string(),
      dcs: z.array(z.object({ id: z.string(), tns: z.array(z.string()).default([]) }).strict()).min(1),
    })
    .strict(),
]);

export const channelConfigSchema = z
  .object({
    seed: z.union([z.string(), z.number()]).optional(),
    topology: topologySchema,
    links: z
      .object({
        wan: profileSpecSchema.optional(),
        plc: profileSpecSchema.optional(),
        overrides: z.record(z.string(), profileSpecSchema).optional(),
      })
      .strict()
      .default({}),
    broker: z
      .object({
        endpoint: z.string().regex(/^(tcp|ipc|inproc):\/\/.+/, 'expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555'),
        maxMessageBytes: z.number().int().positive().optional(),
        /** A state directory holding the broker's keys (gridbench provision --host channel=DIR): nodes must prove who they are. */
        keys: z.string().min(1).optional(),
      })
      .strict()
      .default({ endpoint: 'tcp://127.0.0.1:5555' }),
    control: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535), token: z.string().min(8).optional() })
      .strict()
      .optional(),
    /** The attacker's position for campaigns in another process (attack-port.ts). */
    attack: z
      .object({
        endpoint: z.string().regex(/^(tcp|ipc|inproc):\/\/.+/, 'expected a ZeroMQ endpoint such as tcp://127.0.0.1:5600'),
        /** Without it, the token provisioning made in broker.keys (channel/broker-auth.ts loadAttackToken). */
        token: z.string().min(16, 'expected at least 16 characters').optional(),
        /** A session silent this long is closed and counted (default 60 s). */
        idleMs: z.number().int().min(100).optional(),
      })
      .strict()
      .optional(),
    metrics: z
      .object({ intervalMs: z.number().min(0).default(1000), file: z.string().optional() })
      .strict()
      .default({ intervalMs: 1000 }),
    interceptors: z.array(interceptorSpecSchema).default([]),
    bridges: z
      .array(
        z
          .object({
            listen: hostPort,
            upstream: hostPort,
            /** The node whose place the TCP client takes, and the neighbour whose place the upstream takes. */
            client: z.string(),
            server: z.string(),
            /** The bridge's TCP (channel/README.md, "TCP bridge"); each defaults to what the link implies. */
            segmentBytes: z.number().int().positive().optional(),
            bufferBytes: z.number().int().positive().optional(),
            maxConnections: z.number().int().positive().optional(),
            maxRetransmits: z.number().int().min(0).optional(),
            rto: z
              .object({ initialRtoMs: z.number().positive(), minRtoMs: z.number().positive(), maxRtoMs: z.number().positive() })
              .partial()
              .strict()
              .optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type ChannelConfigFile = z.infer<typeof channelConfigSchema>;

export interface ChannelConfig extends Omit<ChannelConfigFile, 'topology' | 'seed'> {
  readonly topology: Topology;
  readonly seed: string | number;
  /** The configured profile spec of each link (kind default merged with its override). */
  profileFor(link: LinkId): ProfileSpec;
  readonly interceptors: InterceptorSpec[];
}

/** An override that names a preset starts from that preset; one that does not refines the kind's spec. */
export function mergeSpecs(base: ProfileSpec | undefined, over: ProfileSpec | undefined): ProfileSpec {
  if (!over) return base ?? {};
  if (over.preset !== undefined || !base) return over;
  // The rule resolveProfile merges by, so a link that switches loss model drops the kind's fields of the old one.
  return deepMerge(base as Record<string, unknown>, over as Record<string, unknown>) as ProfileSpec;
}

/**
 * Parses and checks a config text; every error is core/config.ts's ConfigError, naming the file,
 * the field path and what was expected.
 */
export function parseChannelConfig(text: string, file: string): ChannelConfig {
  const cfg = parseConfig(channelConfigSchema, text, file);
  let topology: Topology;
  try {
    topology =
      'generate' in cfg.topology
        ? Topology.build(cfg.topology.generate.dcs, cfg.topology.generate.tnsPerDc)
        : new Topology({ hes: cfg.topology.hes, dcs: cfg.topology.dcs });
  } catch (err) {
    throw new ConfigError(file, 'topology', err instanceof Error ? err.message.replace(/^topology: /, '') : String(err));
  }
  const knownLinks = new Set(topology.dcs.flatMap((dc) => [`wan:${dc.id}`, `plc:${dc.id}`]));
  const overrides = cfg.links.overrides ?? {};
  for (const name of Object.keys(overrides))
    if (!knownLinks.has(name))
      throw new ConfigError(
        file,
        `links.overrides.${name}`,
        `expected a link of the topology (${[...knownLinks].slice(0, 6).join(', ')}...)`,
      );
  const profileFor = (link: LinkId): ProfileSpec =>
    mergeSpecs(link.kind === 'wan' ? cfg.links.wan : cfg.links.plc, overrides[linkName(link)]);
  const check = (spec: ProfileSpec, where: string): void => {
    try {
      resolveProfile(spec, PRESETS, where);
    } catch (err) {
      if (!(err instanceof ProfileError)) throw err;
      const cut = err.message.indexOf(': ');
      throw new ConfigError(file, err.message.slice(0, cut), err.message.slice(cut + 2));
    }
  };
  // Kind defaults first, so an error in one is reported where it was written.
  for (const kind of ['wan', 'plc'] as const) check(cfg.links[kind] ?? {}, `links.${kind}`);
  for (const [name, over] of Object.entries(overrides))
    check(mergeSpecs(name.startsWith('wan:') ? cfg.links.wan : cfg.links.plc, over), `links.overrides.${name}`);
  cfg.interceptors.forEach((spec, i) => {
    try {
      createInterceptor(spec.type, spec.config, `interceptors.${i}.config`);
    } catch (err) {
      throw new ConfigError(file, `interceptors.${i}`, err instanceof Error ? err.message : String(err));
    }
  });
  cfg.bridges.forEach((b, i) => {
    const check = (field: string, node: NodeId): void => {
      if (!topology.has(node)) throw new ConfigError(file, `bridges.${i}.${field}`, `expected a node of the topology, got "${node}"`);
    };
    check('client', b.client);
    check('server', b.server);
    if (!topology.linkBetween(b.client, b.server))
      throw new ConfigError(file, `bridges.${i}.server`, `expected a neighbour of "${b.client}", got "${b.server}"`);
  });
  if (cfg.attack && cfg.attack.token === undefined && !cfg.broker.keys)
    throw new ConfigError(
      file,
      'attack.token',
      'expected at least 16 characters, or broker.keys holding the token gridbench provision made',
    );
  if (cfg.control && !isLoopback(cfg.control.host) && !cfg.control.token)
    throw new ConfigError(file, 'control.token', `required when control.host is not a loopback address ("${cfg.control.host}")`);
  return {
    ...cfg,
    seed: cfg.seed ?? `${Date.now()}`,
    topology,
    profileFor,
    interceptors: cfg.interceptors,
  };
}

export function loadChannelConfig(file: string): ChannelConfig {
  return parseChannelConfig(readConfigText(file, 'channel config'), file);
}

export function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(value.slice(i + 1)) };
}
