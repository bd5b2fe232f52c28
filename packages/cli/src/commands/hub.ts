import { Option } from 'commander';
import { describeError } from '@heartbeat/sdk';
import { loadHubConfig, startHub } from '@heartbeat/hub';
import { createHubLogger } from '../hub-logger.js';
import type { CommandRegistrar } from '../program.js';

interface HubCommandOptions {
  port?: string;
  host?: string;
  data?: string;
  store?: string;
  config?: string;
  logLevel?: string;
  logFormat?: 'json' | 'pretty';
}

const EXAMPLES = `
Configuration: flags > HEARTBEAT_* environment variables > the YAML file (--config) > defaults.
Every setting, its variable and its default: docs/hub-config.md.

Examples:
  $ heartbeat hub                                  # SQLite in ./data, port 8900
  $ heartbeat hub --port 9000 --data /var/lib/heartbeat
  $ heartbeat hub --store postgres://heartbeat@db:5432/heartbeat
  $ HEARTBEAT_ADMIN_KEY=$(openssl rand -base64 32) heartbeat hub --config hub.yaml
`;

/** `heartbeat hub`: runs the hub until SIGTERM or SIGINT, then stops it in order and exits 0. */
export const hubCommand: CommandRegistrar = (program, context) =>
  program
    .command('hub')
    .description('run the Heartbeat hub: instance registry, API status, events, keys (SQLite by default)')
    .option('-p, --port <port>', 'port to listen on (default 8900)')
    .option('--host <host>', 'address to listen on (default 0.0.0.0)')
    .option('-d, --data <dir>', 'directory for the embedded SQLite database (default ./data)')
    .option('-s, --store <url>', 'postgres://… to use PostgreSQL instead of SQLite')
    .option('-c, --config <file>', 'a YAML configuration file')
    .option('--log-level <level>', 'trace, debug, info, warn, error or fatal (default info)')
    .addOption(
      new Option(
        '--log-format <format>',
        'json or pretty (default: pretty on a terminal, else json)',
      ).choices(['json', 'pretty']),
    )
    .addHelpText('after', EXAMPLES)
    .action(async (options: HubCommandOptions) => {
      const loaded = await loadHubConfig({
        flags: {
          port: options.port,
          host: options.host,
          data: options.data,
          store: options.store,
          logLevel: options.logLevel,
        },
        env: process.env,
        configFile: options.config,
      });
      const { config } = loaded;
      const format =
        options.logFormat ?? (loaded.sources['log.format'] === 'default' ? undefined : config.log.format);
      const logger = createHubLogger(config.log.level, format);
      const flags = {
        port: options.port,
        host: options.host,
        data: options.data,
        store: options.store,
        logLevel: options.logLevel,
      };
      const configSource =
        loaded.file === undefined ? undefined : { file: loaded.file, flags, env: process.env };
      const hub = await startHub({ config, logger, configSource }).catch((thrown: unknown) => {
        logger.fatal({ err: describeError(thrown) }, `the hub could not start: ${describeError(thrown)}`);
        throw thrown;
      });
      context.err(`Heartbeat hub on ${hub.url} — health: ${hub.url}/readyz, API: ${hub.url}/v1/\n`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) {
            logger.warn({ signal }, 'second signal: exiting now');
            process.exit(1);
          }
          stopping = true;
          void hub.stop(`received ${signal}`).then(resolve, (thrown: unknown) => {
            logger.error({ err: describeError(thrown) }, 'the hub did not stop cleanly');
            context.setOutcome('failed');
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
        // SIGHUP: read the configuration file again (it is also reloaded when it changes).
        process.on('SIGHUP', () => void hub.reloadConfig());
      });
    });
