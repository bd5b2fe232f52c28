import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeartbeatError } from '@heartbeat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-problem.js';
import { DEFAULT_HUB_CONFIG } from './hub-config.js';
import { loadHubConfig, type LoadHubConfigOptions } from './load-hub-config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heartbeat-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a YAML file from lines, so each test shows the line numbers it expects. */
async function yamlFile(name: string, ...lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

/** The error loadHubConfig throws, checked to be the one configuration error. */
async function failure(
  options: LoadHubConfigOptions,
): Promise<{ message: string; problems: ConfigProblem[] }> {
  const error: unknown = await loadHubConfig(options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HeartbeatError);
  const heartbeatError = error as HeartbeatError;
  expect(heartbeatError.code).toBe('CONFIGURATION_INVALID');
  const { problems } = heartbeatError.details as { problems: ConfigProblem[] };
  return { message: heartbeatError.message, problems };
}

describe('loadHubConfig', () => {
  it('gives the defaults, every one marked default, when nothing is given', async () => {
    const loaded = await loadHubConfig({ env: {} });
    expect(loaded.config).toEqual(DEFAULT_HUB_CONFIG);
    expect(loaded.file).toBeUndefined();
    expect(new Set(Object.values(loaded.sources))).toEqual(new Set(['default']));
    expect(Object.keys(loaded.sources)).toContain('instances.selfPreservation.minInstances');
  });

  it('reads process.env when no env is passed', async () => {
    process.env.HEARTBEAT_INGEST_MAX_BATCH = '7';
    try {
      expect((await loadHubConfig()).config.ingest.maxBatch).toBe(7);
    } finally {
      delete process.env.HEARTBEAT_INGEST_MAX_BATCH;
    }
  });

  describe('precedence: flags > env > file > defaults', () => {
    let file: string;
    beforeAll(async () => {
      file = await yamlFile(
        'precedence.yaml',
        'server:',
        '  port: 1001',
        '  host: file-host',
        '  routePrefix: /from-file',
        'data: ./file-data',
      );
    });

    it('the file overrides the defaults', async () => {
      const { config, sources, file: read } = await loadHubConfig({ configFile: file, env: {} });
      expect(read).toBe(file);
      expect(config.server).toEqual({ port: 1001, host: 'file-host', routePrefix: '/from-file' });
      expect(config.data).toBe('./file-data');
      expect(config.instances.validTime).toBe(60_000);
      expect(sources).toMatchObject({
        'server.port': 'file',
        data: 'file',
        'instances.validTime': 'default',
      });
    });

    it('env overrides the file', async () => {
      const { config, sources } = await loadHubConfig({
        configFile: file,
        env: { HEARTBEAT_PORT: '1002', HEARTBEAT_SERVER_HOST: 'env-host' },
      });
      expect(config.server).toEqual({ port: 1002, host: 'env-host', routePrefix: '/from-file' });
      expect(sources).toMatchObject({
        'server.port': 'env',
        'server.host': 'env',
        'server.routePrefix': 'file',
      });
    });

    it('flags override env', async () => {
      const { config, sources } = await loadHubConfig({
        configFile: file,
        env: { HEARTBEAT_PORT: '1002', HEARTBEAT_SERVER_HOST: 'env-host' },
        flags: { port: 1003 },
      });
      expect(config.server).toEqual({ port: 1003, host: 'env-host', routePrefix: '/from-file' });
      expect(sources).toMatchObject({
        'server.port': 'flag',
        'server.host': 'env',
        'server.routePrefix': 'file',
      });
    });

    it('every flag maps to its setting', async () => {
      const { config, sources } = await loadHubConfig({
        env: {},
        flags: { port: '9', host: 'h', data: 'd', store: 's.db', logLevel: 'trace' },
      });
      expect(config).toMatchObject({
        server: { port: 9, host: 'h' },
        data: 'd',
        store: 's.db',
        log: { level: 'trace' },
      });
      expect(Object.entries(sources).filter(([, source]) => source === 'flag')).toHaveLength(5);
    });
  });

  describe('which file', () => {
    it('--config over HEARTBEAT_CONFIG over the configFile option', async () => {
      const a = await yamlFile('a.yaml', 'data: a');
      const b = await yamlFile('b.yaml', 'data: b');
      const c = await yamlFile('c.yaml', 'data: c');
      const data = async (options: LoadHubConfigOptions) => (await loadHubConfig(options)).config.data;
      expect(await data({ env: {}, configFile: c })).toBe('c');
      expect(await data({ env: { HEARTBEAT_CONFIG: b }, configFile: c })).toBe('b');
      expect(await data({ env: { HEARTBEAT_CONFIG: b }, configFile: c, flags: { config: a } })).toBe('a');
    });

    it('a missing file is a problem that names the path and where it was named', async () => {
      const missing = join(dir, 'nope.yaml');
      expect((await failure({ env: {}, flags: { config: missing } })).problems).toEqual([
        {
          source: `--config=${missing}`,
          path: '',
          message: `config file ${missing} does not exist; fix the path, or leave it out to run on env and defaults`,
        },
      ]);
      expect((await failure({ env: { HEARTBEAT_CONFIG: missing } })).problems[0]?.source).toBe(
        `HEARTBEAT_CONFIG=${missing}`,
      );
      const relative = (await failure({ env: {}, configFile: 'no/such/hub.yaml' })).problems[0];
      expect(relative?.source).toBe('no/such/hub.yaml');
      expect(relative?.message).toMatch(
        /^config file no\/such\/hub\.yaml does not exist \(looked at \/.*no\/such\/hub\.yaml\)/,
      );
    });

    it('a directory is a problem too', async () => {
      expect((await failure({ env: {}, configFile: dir })).problems[0]?.message).toBe(
        `config file ${dir} is a directory; name the YAML file in it`,
      );
    });
  });

  describe('errors point at their line and column', () => {
    it('a bad value in the file', async () => {
      const file = await yamlFile(
        'config.yaml',
        '# Heartbeat hub',
        'server:',
        '  port: 8900',
        'instances:',
        '  validTime: sixty',
      );
      const { message, problems } = await failure({ configFile: file, env: {} });
      expect(problems).toEqual([
        {
          source: `${file}:5:14`,
          path: 'instances.validTime',
          message: '"sixty" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d',
        },
      ]);
      expect(message).toBe(
        `configuration has 1 problem:\n  ${file}:5:14: instances.validTime: "sixty" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d`,
      );
    });

    it('every kind of file problem, at its place', async () => {
      const file = await yamlFile(
        'all.yaml',
        'server:',
        '  prot: 8900', //                 2: unknown key with a suggestion
        '  port: 70000', //                3: out of range
        'instances:',
        '  validTime: 500ms', //           5: below the minimum
        '  selfPreservation:',
        '    ratio: 1.5', //               7: not a ratio
        '    enabled: maybe', //           8: not a boolean
        'auth: true', //                   9: a section written as a value
        'log:',
        '  level: verbose', //            11: not one of the levels
      );
      expect((await failure({ configFile: file, env: {} })).problems).toEqual([
        { source: `${file}:2:3`, path: 'server.prot', message: 'unknown key; did you mean "port"?' },
        {
          source: `${file}:3:9`,
          path: 'server.port',
          message: '70000 is not a port; use a whole number from 0 to 65535 (0 picks a free port)',
        },
        {
          source: `${file}:5:14`,
          path: 'instances.validTime',
          message: '"500ms" is shorter than the minimum of 1s',
        },
        {
          source: `${file}:7:12`,
          path: 'instances.selfPreservation.ratio',
          message: '1.5 is not a ratio; write a number from 0 to 1 like 0.5, or a percentage like 50%',
        },
        {
          source: `${file}:8:14`,
          path: 'instances.selfPreservation.enabled',
          message: '"maybe" is not a boolean; write true or false (yes/no and 1/0 work too)',
        },
        {
          source: `${file}:9:7`,
          path: 'auth',
          message: 'expected a mapping with publicRead, adminKey, found true',
        },
        {
          source: `${file}:11:10`,
          path: 'log.level',
          message: '"verbose" is not one of fatal, error, warn, info, debug, trace, silent',
        },
      ]);
    });

    it('a YAML syntax error', async () => {
      const indented = await yamlFile('indent.yaml', 'server:', '  port: 8900', ' host: x');
      expect((await failure({ configFile: indented, env: {} })).problems).toEqual([
        {
          source: `${indented}:3:1`,
          path: '',
          message: 'YAML syntax: All mapping items must start at the same column',
        },
      ]);
      const tabbed = await yamlFile('tab.yaml', 'server:', '  port: 8900', '\thost: x');
      expect((await failure({ configFile: tabbed, env: {} })).problems).toEqual([
        { source: `${tabbed}:3:1`, path: '', message: 'YAML syntax: Tabs are not allowed as indentation' },
      ]);
    });
  });

  it('collects every problem of every source in one error, each on its own line', async () => {
    const file = await yamlFile('mixed.yaml', 'server:', '  port: abc', 'logs:', '  level: info');
    const { message, problems } = await failure({
      configFile: file,
      env: {
        HEARTBEAT_INSTANCES_VALID_TIME: 'soon',
        HEARTBEAT_AUTH_ADMIN_KEY: 'a',
        HEARTBEAT_ADMIN_KEY: 'b',
      },
      flags: { logLevel: 'loud' },
    });
    expect(message.split('\n')).toEqual([
      'configuration has 5 problems:',
      `  ${file}:2:9: server.port: "abc" is not a port; use a whole number from 0 to 65535 (0 picks a free port)`,
      `  ${file}:3:1: logs: unknown key; did you mean "log"?`,
      '  HEARTBEAT_INSTANCES_VALID_TIME=soon: instances.validTime: "soon" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d',
      '  HEARTBEAT_AUTH_ADMIN_KEY=***, HEARTBEAT_ADMIN_KEY=***: auth.adminKey: set twice with different values; keep only HEARTBEAT_AUTH_ADMIN_KEY',
      '  --log-level=loud: log.level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(problems).toHaveLength(5);
    expect(problems.map((problem) => problem.path)).toEqual([
      'server.port',
      'logs',
      'instances.validTime',
      'auth.adminKey',
      'log.level',
    ]);
  });

  it('keeps a missing file and the other sources’ problems together', async () => {
    const { problems } = await failure({ configFile: join(dir, 'gone.yaml'), env: { HEARTBEAT_PORT: 'x' } });
    expect(problems.map((problem) => problem.source)).toEqual([join(dir, 'gone.yaml'), 'HEARTBEAT_PORT=x']);
  });
});
