import { createWriteStream, type WriteStream } from 'node:fs';
import { RealClock } from '../core/clock';
import { createMetrics } from '../core/metrics';
import { Random } from '../core/random';
import { startAttackPort, type AttackPort } from './attack-port';
import { startBroker, type Broker } from './broker';
import { loadAttackToken, loadBrokerAuth } from './broker-auth';
import type { FrameClassifier } from './frame';
import type { ChannelConfig } from './config';
import { splitHostPort } from './config';
import { startTcpBridge, type TcpBridge } from './tcp-bridge';

export interface ChannelServer {
  readonly broker: Broker;
  readonly bridges: readonly TcpBridge[];
  /** What the process announces on start: where to connect, the seed to repeat the run. */
  readonly summary: Record<string, unknown>;
  close(): Promise<void>;
}

/** What the config file cannot say: the code the server runs with. */
export interface ChannelServerOptions {
  /** Names each frame's message class (the protocol's classifier, handed in by bench/). */
  readonly classify: FrameClassifier;
}

/** Everything `gridbench channel` runs for a config: broker, control API, interceptors, bridges, metrics file. */
export async function startChannelServer(config: ChannelConfig, options: ChannelServerOptions): Promise<ChannelServer> {
  const clock = new RealClock();
  let metricsFile: WriteStream | undefined;
  if (config.metrics.file) metricsFile = createWriteStream(config.metrics.file, { flags: 'a' });
  const metrics = metricsFile ? createMetrics(clock, (sample) => metricsFile!.write(`${JSON.stringify(sample)}\n`)) : undefined;
  const broker = await startBroker({
    topology: config.topology,
    random: new Random(config.seed),
    classify: options.classify,
    endpoint: config.broker.endpoint,
    clock,
    profileFor: config.profileFor,
    metricsIntervalMs: config.metrics.intervalMs,
    ...(metrics ? { metrics } : {}),
    ...(config.broker.maxMessageBytes ? { maxMessageBytes: config.broker.maxMessageBytes } : {}),
    ...(config.control ? { control: config.control } : {}),
    ...(config.broker.keys ? { auth: loadBrokerAuth(config.broker.keys) } : {}),
  });
  const bridges: TcpBridge[] = [];
  let attack: AttackPort | undefined;
  try {
    if (config.attack)
      attack = await startAttackPort(broker.control, {
        ...config.attack,
        token: config.attack.token ?? loadAttackToken(config.broker.keys!),
      });
    for (const spec of config.interceptors) broker.control.addInterceptor(spec);
    for (const b of config.bridges)
      bridges.push(
        await startTcpBridge({
          channel: broker.channel,
          listen: splitHostPort(b.listen),
          upstream: splitHostPort(b.upstream),
          client: b.client,
          server: b.server,
          ...(b.segmentBytes ? { segmentBytes: b.segmentBytes } : {}),
          ...(b.bufferBytes ? { bufferBytes: b.bufferBytes } : {}),
          ...(b.maxConnections ? { maxConnections: b.maxConnections } : {}),
          ...(b.maxRetransmits !== undefined ? { maxRetransmits: b.maxRetransmits } : {}),
          ...(b.rto ? { rto: b.rto } : {}),
        }),
      );
  } catch (err) {
    for (const b of bridges) await b.close();
    await attack?.close();
    await broker.close();
    throw err;
  }
  return {
    broker,
    bridges,
    summary: {
      endpoint: broker.endpoint,
      authentication: config.broker.keys ? 'curve' : 'none',
      control: broker.controlUrl ?? null,
      attack: attack?.endpoint ?? null,
      seed: config.seed,
      clock: clock.kind,
      nodes: config.topology.nodes.length,
      links: broker.control.links().map((l) => l.name).length,
      interceptors: broker.control.interceptors().map((i) => i.id),
      bridges: bridges.map((b, i) => ({ listen: `${b.host}:${b.port}`, upstream: config.bridges[i]!.upstream })),
    },
    async close() {
      for (const b of bridges) await b.close();
      await attack?.close();
      await broker.close();
      await new Promise<void>((resolve) => (metricsFile ? metricsFile.end(resolve) : resolve()));
    },
  };
}
