import { Option, type Command } from 'commander';
import { HeartbeatError } from '@heartbeat/sdk';
import { createKeyRing, loadHubConfig, openStore, SCOPES, type Scope } from '@heartbeat/hub';
import type { CliContext, CommandRegistrar } from '../program.js';

interface StoreOptions {
  data?: string;
  store?: string;
  config?: string;
}

const STORE_HELP = `
The keys live in the hub's store: the same --data, --store or --config as the hub (or HEARTBEAT_DATA,
HEARTBEAT_STORE). This works while the hub runs; a revoked key stops working within 10 seconds.
`;

/** `heartbeat keys create | list | revoke`: manage API keys directly in the hub's store. */
export const keysCommand: CommandRegistrar = (program, context) => {
  const keys = program
    .command('keys')
    .description('create, list and revoke API keys in the hub’s store')
    .addHelpText('after', STORE_HELP);

  withStoreOptions(
    keys
      .command('create')
      .description('create a key and print it (shown only once)')
      .addOption(
        new Option('--scope <scope...>', 'what the key may do (repeatable)')
          .choices(SCOPES)
          .makeOptionMandatory(),
      )
      .option('-n, --name <name>', 'a name to recognise the key by', 'unnamed')
      .option('--json', 'print the key as JSON'),
  ).action(async (options: StoreOptions & { scope: Scope[]; name: string; json?: boolean }) => {
    await withKeyRing(options, context, async (ring) => {
      const { record, token } = await ring.create(options.name, options.scope);
      if (options.json) {
        context.out(
          `${JSON.stringify({ id: record.id, name: record.name, scopes: record.scopes, key: token }, null, 2)}\n`,
        );
        return;
      }
      context.out(`${token}\n`);
      context.err(
        `created key ${record.id} "${record.name}" with scopes ${record.scopes.join(', ')}; it is shown only this once\n`,
      );
    });
  });

  withStoreOptions(
    keys.command('list').description('list keys (never their secrets)').option('--json', 'print JSON'),
  ).action(async (options: StoreOptions & { json?: boolean }) => {
    await withKeyRing(options, context, async (ring) => {
      const list = await ring.list();
      if (options.json) {
        context.out(
          `${JSON.stringify(
            list.map(({ secretHash: _secret, ...key }) => key),
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (list.length === 0) {
        context.out('no keys yet; create one with: heartbeat keys create --scope ingest --name my-agents\n');
        return;
      }
      const rows = list.map((key) => [
        key.id,
        key.name,
        key.scopes.join(','),
        new Date(key.createdAt).toISOString(),
        key.revokedAt === null ? 'active' : `revoked ${new Date(key.revokedAt).toISOString()}`,
      ]);
      context.out(table([['ID', 'NAME', 'SCOPES', 'CREATED', 'STATE'], ...rows]));
    });
  });

  withStoreOptions(
    keys
      .command('revoke')
      .description('revoke a key by its id')
      .argument('<id>', 'the key id (see keys list)'),
  ).action(async (id: string, options: StoreOptions) => {
    await withKeyRing(options, context, async (ring) => {
      if (!(await ring.revoke(id))) {
        throw new HeartbeatError('NOT_FOUND', `no active key with id ${id}; see heartbeat keys list`);
      }
      context.err(`revoked key ${id}\n`);
    });
  });
  return keys;
};

function withStoreOptions(command: Command): Command {
  return command
    .option('-d, --data <dir>', 'the hub’s data directory (default ./data)')
    .option('-s, --store <url>', 'postgres://… when the hub uses PostgreSQL')
    .option('-c, --config <file>', 'the hub’s YAML configuration file');
}

async function withKeyRing(
  options: StoreOptions,
  context: CliContext,
  work: (ring: ReturnType<typeof createKeyRing>) => Promise<void>,
): Promise<void> {
  const { config } = await loadHubConfig({
    flags: { data: options.data, store: options.store },
    env: process.env,
    configFile: options.config,
  });
  const store = openStore(config.store, config.data);
  try {
    await store.migrate();
    const silent = { info() {}, warn() {}, error() {} };
    await work(createKeyRing({ store, logger: silent }));
  } catch (thrown) {
    if (thrown instanceof HeartbeatError && thrown.code === 'NOT_FOUND') {
      context.err(`error: ${thrown.message}\n`);
      context.setOutcome('failed');
      return;
    }
    throw thrown;
  } finally {
    await store.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => cell.padEnd(widths[column]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
