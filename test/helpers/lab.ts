/**
 * A lab on loopback, as docker/compose.yaml runs it: gridbench provision hands each host its
 * share, then the broker (gridbench channel, with its keys and an attack port) and one gridbench
 * node per host start as separate OS processes, each host with its operator channel
 * (--operator). Every process is the real CLI; the test talks to them as a lab user would. As in
 * docker/lab/channel.yaml, the broker's attack port takes the token provision made in its share.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { freePort } from '../../bench/runner/processes';
import { loadAttackToken } from '../../channel/broker-auth';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'cli', 'gridbench.ts');

export interface LabProcess {
  readonly child: ChildProcess;
  readonly ended: Promise<{ code: number | null; out: string }>;
  output(): string;
}

/** The CLI as a process of its own; stdout and stderr gathered. */
export function gridbench(args: readonly string[], env: Record<string, string> = {}): LabProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ended = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return { child, ended, output: () => out };
}

export async function until(check: () => boolean, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Lab {
  /** The operator's state (roots, the operator's key): gridbench campaign --state. */
  readonly state: string;
  readonly attack: string;
  readonly token: string;
  /** Each host's selection and its operator endpoint: gridbench campaign --host SELECTION=ENDPOINT. */
  readonly operators: ReadonlyMap<string, string>;
  readonly hostState: (selection: string) => string;
  readonly broker: LabProcess;
  readonly hosts: ReadonlyMap<string, LabProcess>;
  /** The --host arguments of gridbench campaign for every host. */
  readonly hostArgs: () => string[];
  /** Stops what still runs (SIGTERM; the nodes' metrics files are complete only for hosts that ended on their own). */
  stop(): Promise<void>;
}

/** Starts a lab of `selections` (hes, dc1, tns:dc1...) for `scenario` in `mode`, and waits until every host enrolled. */
export async function startLab(dir: string, scenario: string, mode: string, selections: readonly string[]): Promise<Lab> {
  const hostState = (g: string) => join(dir, 'host-state', g.replace(/[:,]/g, '-'));
  const state = join(dir, 'state');
  execFileSync(process.execPath, [
    '--import',
    'tsx',
    CLI,
    'provision',
    '--scenario',
    scenario,
    '--state',
    state,
    ...[...selections, 'channel'].flatMap((g) => ['--host', `${g}=${hostState(g)}`]),
  ]);
  // the broker's attack port token, as provision made it in the broker's share and the operator's state
  const token = loadAttackToken(state);
  const attack = `tcp://127.0.0.1:${await freePort()}`;
  const brokerEndpoint = `tcp://127.0.0.1:${await freePort()}`;
  const channel = join(dir, 'channel.yaml');
  const s = parse(readFileSync(scenario, 'utf8')) as { seed?: number; topology: { dcs: number; tnsPerDc: number }; channel?: unknown };
  writeFileSync(
    channel,
    JSON.stringify({
      seed: s.seed ?? 1,
      topology: { generate: s.topology },
      ...(s.channel ? { links: s.channel } : {}),
      broker: { endpoint: brokerEndpoint, keys: hostState('channel') },
      attack: { endpoint: attack },
    }),
  );
  const broker = gridbench(['channel', '--config', channel]);
  const all: LabProcess[] = [broker];
  const stop = async () => {
    for (const p of all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(all.map((p) => p.ended));
  };
  try {
    await until(() => broker.output().includes(attack), 'the broker', 30_000);
    const operators = new Map<string, string>();
    for (const g of selections) operators.set(g, `tcp://127.0.0.1:${await freePort()}`);
    const hosts = new Map(
      selections.map((g) => {
        const host = gridbench([
          'node',
          '--scenario',
          scenario,
          '--nodes',
          g,
          '--broker',
          brokerEndpoint,
          '--state',
          hostState(g),
          '--mode',
          mode,
          '--run',
          `lab-${mode}`,
          '--results',
          join(dir, 'results'),
          '--operator',
          operators.get(g)!,
        ]);
        all.push(host);
        return [g, host] as const;
      }),
    );
    await until(() => [...hosts.values()].every((h) => /enrolled/.test(h.output())), 'every host enrolled', 90_000);
    return {
      state,
      attack,
      token,
      operators,
      hostState,
      broker,
      hosts,
      hostArgs: () => [...operators].flatMap(([g, endpoint]) => ['--host', `${g}=${endpoint}`]),
      stop,
    };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${all.map((p) => p.output()).join('\n')}`, { cause: err });
  }
}
