import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GRAFANA_DASHBOARDS_PATH, LAB_DATABASE, LAB_INFLUX_URL } from '../../dashboards/datasource';
import { loadScenario } from '../../bench/scenario/load';
import { loadChannelConfig } from '../../channel/config';

const ROOT = resolve(import.meta.dirname, '..', '..');
const COMPOSE = join(ROOT, 'docker', 'compose.yaml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string | string[];
  volumes?: (string | { source: string; target: string })[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}

/** `docker-compose -f docker/compose.yaml config`: the file as Compose resolves it. */
function composeConfig(): { services: Record<string, Service> } {
  const which = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' });
  if (which.status !== 0)
    throw new Error('docker-compose is not installed; the lab test needs it (sudo apt-get install -y docker-compose)');
  const run = spawnSync('docker-compose', ['-f', COMPOSE, 'config'], { encoding: 'utf8', cwd: ROOT });
  if (run.status !== 0) throw new Error(`docker-compose -f docker/compose.yaml config failed:\n${run.stderr}`);
  return parse(run.stdout);
}

const commandOf = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? '')).replace(/\s+/g, ' ');
const mounts = (s: Service) =>
  (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':').slice(0, 2) : [v.source, v.target]) as [string, string]);

describe('docker/compose.yaml (the lab)', () => {
  const config = composeConfig();
  const services = config.services;
  const scenarioFile = join(ROOT, 'docker', 'lab', 'scenarios', 'lab.yaml');
  const scenario = loadScenario(scenarioFile);
  const dcs = Array.from({ length: scenario.topology.dcs }, (_, i) => `dc${i + 1}`);
  const nodeCommand = (nodes: string) =>
    `gridbench node --scenario /bench/scenarios/lab.yaml --nodes ${nodes} --broker tcp://channel:5555 --state /state --run lab --out influxdb=http://influxdb:8086/${LAB_DATABASE} --operator tcp://0.0.0.0:7000`;

  it('validates with docker-compose config and runs InfluxDB 1.8 and Grafana', () => {
    expect(services.influxdb?.image).toBe('influxdb:1.8');
    expect(services.influxdb?.environment?.INFLUXDB_DB).toBe(LAB_DATABASE);
    expect(services.grafana?.image).toMatch(/^grafana\/grafana/);
    expect(`http://influxdb:8086`).toBe(LAB_INFLUX_URL);
  });

  it('mounts the generated provisioning and dashboards into Grafana', () => {
    const grafana = mounts(services.grafana!);
    expect(grafana).toContainEqual([join(ROOT, 'dashboards', 'provisioning'), '/etc/grafana/provisioning']);
    expect(grafana).toContainEqual([join(ROOT, 'dashboards', 'json'), GRAFANA_DASHBOARDS_PATH]);
    for (const [source] of grafana.filter(([s]) => s.startsWith('/'))) expect(existsSync(source), source).toBe(true);
  });

  it("runs the broker, the HES, each DC and each DC's TNs as separate services of the bench image", () => {
    expect(commandOf(services.channel!)).toBe('gridbench channel --config /bench/channel.yaml');
    expect(commandOf(services.hes!)).toBe(nodeCommand('hes'));
    for (const dc of dcs) {
      expect(commandOf(services[dc]!), dc).toBe(nodeCommand(dc));
      expect(commandOf(services[`tns-${dc}`]!), `tns-${dc}`).toBe(nodeCommand(`tns:${dc}`));
    }
    expect(commandOf(services.provision!)).toMatch(
      /^gridbench provision --scenario \/bench\/scenarios\/lab\.yaml --state \/state( --host \S+)+$/,
    );
    const bench = ['channel', 'provision', 'hes', ...dcs, ...dcs.map((dc) => `tns-${dc}`)];
    expect(Object.keys(services).sort()).toEqual([...bench, 'grafana', 'influxdb'].sort());
    for (const name of bench) {
      expect(services[name]!.build, name).toEqual({ context: ROOT, dockerfile: 'docker/Dockerfile' });
      expect(mounts(services[name]!), name).toContainEqual([join(ROOT, 'docker', 'lab'), '/bench']);
      if (name !== 'channel' && name !== 'provision') {
        expect(services[name]!.depends_on, name).toHaveProperty('channel');
        expect(services[name]!.depends_on?.provision, name).toEqual({ condition: 'service_completed_successfully' });
      }
    }
    expect(existsSync(join(ROOT, 'docker', 'Dockerfile'))).toBe(true);
  });

  it("hands each node service a volume with its own nodes' secrets only; the operator's state (the roots) is provision's alone", () => {
    const provision = services.provision!;
    const provisionMounts = new Map(mounts(provision).map(([source, target]) => [target, source]));
    expect(provisionMounts.get('/state')).toBe('state');
    // --host SELECTION=DIR, DIR being where a volume is mounted in the provision service
    const handed = new Map(
      [...commandOf(provision).matchAll(/--host (\S+)=(\S+)/g)].map(([, selection, dir]) => {
        expect(provisionMounts.has(dir!), `--host ${selection}=${dir}: no volume mounted there`).toBe(true);
        return [selection!, provisionMounts.get(dir!)!];
      }),
    );
    for (const name of ['hes', ...dcs, ...dcs.map((dc) => `tns-${dc}`)]) {
      const selection = commandOf(services[name]!).match(/--nodes (\S+)/)![1]!;
      const state = mounts(services[name]!).filter(([, target]) => target === '/state');
      expect(state, name).toEqual([[handed.get(selection), '/state']]);
      expect(state[0]![0], name).not.toBe('state');
    }
    // the broker gets its keys and the nodes' public keys (its share, --host channel), after provision made them
    expect(mounts(services.channel!).filter(([, target]) => target === '/state')).toEqual([[handed.get('channel'), '/state']]);
    expect(services.channel!.depends_on?.provision).toEqual({ condition: 'service_completed_successfully' });
    expect(loadChannelConfig(join(ROOT, 'docker', 'lab', 'channel.yaml')).broker.keys).toBe('/state');
    expect(new Set(handed.values()).size).toBe(handed.size);
    for (const [name, service] of Object.entries(services))
      if (name !== 'provision')
        expect(
          mounts(service).map(([source]) => source),
          name,
        ).not.toContain('state');
  });

  it("runs the lab campaign command as written: the broker's attack port on the compose network with provision's token, each --host a node service's operator port", () => {
    // the command in compose.yaml's comment, which the README points to
    const text = readFileSync(COMPOSE, 'utf8');
    const start = text.indexOf('#   docker compose -f docker/compose.yaml run --rm provision gridbench campaign');
    expect(start).toBeGreaterThan(0);
    const lines = text.slice(start).split('\n');
    const command = lines
      .slice(0, lines.findIndex((l) => !l.trimEnd().endsWith('\\')) + 1)
      .map((l) => l.replace(/^#\s*/, '').replace(/\\$/, ''))
      .join(' ')
      .replace(/\s+/g, ' ');
    const arg = (name: string) => [...command.matchAll(new RegExp(`--${name} (\\S+)`, 'g'))].map((m) => m[1]!);
    expect(arg('token')).toEqual([]);
    // --attack: the channel service's attack port, its token the one provision made in the broker's share
    const channel = loadChannelConfig(join(ROOT, 'docker', 'lab', 'channel.yaml'));
    expect(channel.attack?.token).toBeUndefined();
    expect(channel.broker.keys).toBe('/state');
    expect(arg('attack')).toEqual([`tcp://channel:${channel.attack!.endpoint.split(':').at(-1)}`]);
    expect(channel.attack!.endpoint).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
    // --state: the operator's state, which provision (the service the command runs in) mounts
    expect(arg('state')).toEqual(['/state']);
    expect(mounts(services.provision!)).toContainEqual(['state', '/state']);
    // --host SELECTION=tcp://SERVICE:PORT: every node service, by its --nodes, at its --operator port
    const nodeServices = ['hes', ...dcs, ...dcs.map((dc) => `tns-${dc}`)];
    const hosts = arg('host').map((h) => h.match(/^(\S+)=tcp:\/\/([^:]+):(\d+)$/)!.slice(1));
    expect(hosts.map(([, service]) => service).sort()).toEqual([...nodeServices].sort());
    for (const [selection, service, port] of hosts) {
      const node = commandOf(services[service!]!);
      expect(node, service).toContain(`--nodes ${selection} `);
      expect(node, service).toContain(`--operator tcp://0.0.0.0:${port}`);
    }
    // the README's command is this one
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('gridbench campaign --scenario /bench/scenarios/lab.yaml --attack tcp://channel:5600 --state /state');
  });

  it('gives the broker and the nodes one topology: channel.yaml matches the lab scenario', () => {
    const channel = loadChannelConfig(join(ROOT, 'docker', 'lab', 'channel.yaml'));
    expect(channel.topology.dcs.map((d) => d.id)).toEqual(dcs);
    for (const dc of channel.topology.dcs) expect(dc.tns.length, dc.id).toBe(scenario.topology.tnsPerDc);
    expect(channel.broker.endpoint).toBe('tcp://0.0.0.0:5555');
    expect(scenario.clock).toBe('real');
  });
});
