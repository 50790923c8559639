import { parseArgs } from 'node:util';
import { ConfigError, loadChannelConfig } from '../../../channel/config';
import { startChannelServer } from '../../../channel/server';
import { EXIT, type Command } from '../command';

const HELP = `usage: gridbench channel --config FILE [--check]

Runs the channel emulator: a ZeroMQ broker every node connects to, with the link models,
interceptors, HTTP control API and TCP bridges of FILE (YAML; see channel/config.ts).
Prints one JSON line with the endpoints and the seed, then runs until SIGINT or SIGTERM.

  --config FILE   the channel config
  --check         validate FILE and exit`;

export const command: Command = {
  summary: 'run the channel emulator (ZeroMQ broker, link models, interceptors, TCP bridge)',
  async run(argv) {
    let values: { config?: string | undefined; check?: boolean | undefined; help?: boolean | undefined };
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { config: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
      }));
    } catch (err) {
      console.error(`gridbench channel: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
      return EXIT.error;
    }
    if (values.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (!values.config) {
      console.error(`gridbench channel: --config FILE is required\n\n${HELP}`);
      return EXIT.error;
    }
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
    const server = await startChannelServer(config);
    console.log(JSON.stringify({ channel: 'ready', ...server.summary }));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return EXIT.ok;
  },
};
