import { loadChannelConfig } from '../../../channel/config';
import { ConfigError } from '../../../core/config';
import { startChannelServer } from '../../../channel/server';
import { peekClassName } from '../../../nodes/protocol/message-class';
import { EXIT, parseCommandArgs, usageError, type Command } from '../command';

const HELP = `usage: gridbench channel --config FILE [--check]

Runs the channel emulator: a ZeroMQ broker every node connects to, with the link models,
interceptors, HTTP control API and TCP bridges of FILE (YAML; see channel/config.ts).
Prints one JSON line with the endpoints and the seed, then runs until SIGINT or SIGTERM, or,
when a parent started it with an IPC channel (gridbench run --processes), until that parent goes.

  --config FILE   the channel config
  --check         validate FILE and exit`;

export const command: Command = {
  summary: 'run the channel emulator (ZeroMQ broker, link models, interceptors, TCP bridge)',
  async run(argv) {
    const parsed = parseCommandArgs('channel', HELP, {
      args: argv,
      options: { config: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (typeof parsed === 'number') return parsed;
    const { values } = parsed;
    if (!values.config) return usageError('channel', HELP, '--config FILE is required');
    let config;
    try {
      config = loadChannelConfig(values.config);
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(`gridbench channel: ${err.message}`);
        return EXIT.error;
      }
      throw err;
    }
    if (values.check) {
      console.log(`gridbench channel: ${values.config} is valid`);
      return EXIT.ok;
    }
    const server = await startChannelServer(config, { classify: peekClassName });
    console.log(JSON.stringify({ channel: 'ready', ...server.summary }));
    await stopAsked();
    await server.close();
    return EXIT.ok;
  },
};

/**
 * Resolves on SIGINT or SIGTERM, or when the parent that started this broker with an IPC channel
 * goes away (killed, crashed): its node hosts stop then (node-host.ts), and a broker living on
 * would hold its ports as an orphan. The channel closes with the parent's process, so no stdin
 * pipe or poll is needed; once stopping, this side lets go of it, which would keep it alive.
 */
function stopAsked(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('disconnect', stop);
      if (process.connected) process.disconnect();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (process.connected) process.once('disconnect', stop);
  });
}
