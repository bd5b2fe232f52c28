import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-problem.js';
import { untyped } from './config-schema.js';
import { readEnvLayer, readFlagLayer } from './env-layer.js';
import { HUB_CONFIG_SCHEMA } from './hub-config.js';

const schema = untyped(HUB_CONFIG_SCHEMA);

function readEnv(env: Record<string, string | undefined>) {
  const problems: ConfigProblem[] = [];
  const layer = readEnvLayer(schema, env, problems, ['HEARTBEAT_CONFIG']);
  return {
    values: Object.fromEntries([...layer].map(([path, { value }]) => [path, value])),
    layer,
    problems,
  };
}

describe('readEnvLayer', () => {
  it('reads the generic name of every leaf, parsed by its type', () => {
    const { values, problems } = readEnv({
      HEARTBEAT_SERVER_PORT: '9000',
      HEARTBEAT_SERVER_HOST: '127.0.0.1',
      HEARTBEAT_SERVER_ROUTE_PREFIX: '/eni/heartbeat',
      HEARTBEAT_DATA: '/var/lib/heartbeat',
      HEARTBEAT_STORE: 'postgres://hub@db/hub',
      HEARTBEAT_INSTANCES_VALID_TIME: '30s',
      HEARTBEAT_INSTANCES_RETENTION: '5m',
      HEARTBEAT_INSTANCES_SELF_PRESERVATION_ENABLED: 'no',
      HEARTBEAT_INSTANCES_SELF_PRESERVATION_RATIO: '85%',
      HEARTBEAT_INSTANCES_SELF_PRESERVATION_MIN_INSTANCES: '3',
      HEARTBEAT_EVENTS_RETENTION: '7d',
      HEARTBEAT_AUTH_PUBLIC_READ: 'yes',
      HEARTBEAT_AUTH_ADMIN_KEY: 'k-123',
      HEARTBEAT_INGEST_MAX_BODY_BYTES: '2mb',
      HEARTBEAT_INGEST_MAX_BATCH: '50',
      HEARTBEAT_LOG_LEVEL: 'debug',
      HEARTBEAT_LOG_FORMAT: 'pretty',
    });
    expect(problems).toEqual([]);
    expect(values).toEqual({
      'server.port': 9000,
      'server.host': '127.0.0.1',
      'server.routePrefix': '/eni/heartbeat',
      data: '/var/lib/heartbeat',
      store: 'postgres://hub@db/hub',
      'instances.validTime': 30_000,
      'instances.retention': 300_000,
      'instances.selfPreservation.enabled': false,
      'instances.selfPreservation.ratio': 0.85,
      'instances.selfPreservation.minInstances': 3,
      'events.retention': 604_800_000,
      'auth.publicRead': true,
      'auth.adminKey': 'k-123',
      'ingest.maxBodyBytes': 2_097_152,
      'ingest.maxBatch': 50,
      'log.level': 'debug',
      'log.format': 'pretty',
    });
  });

  it('reads the short aliases and records which name was used', () => {
    const { values, layer } = readEnv({
      HEARTBEAT_PORT: '81',
      HEARTBEAT_HOST: '::',
      HEARTBEAT_ADMIN_KEY: 'k',
    });
    expect(values).toEqual({ 'server.port': 81, 'server.host': '::', 'auth.adminKey': 'k' });
    expect(layer.get('server.port')?.location).toBe('HEARTBEAT_PORT=81');
    expect(layer.get('auth.adminKey')?.location).toBe('HEARTBEAT_ADMIN_KEY=***');
  });

  it('accepts the generic name and an alias when they agree, and reports them when they do not', () => {
    expect(readEnv({ HEARTBEAT_PORT: '81', HEARTBEAT_SERVER_PORT: '81' }).values).toEqual({
      'server.port': 81,
    });
    expect(readEnv({ HEARTBEAT_PORT: '81', HEARTBEAT_SERVER_PORT: '82' }).problems).toEqual([
      {
        source: 'HEARTBEAT_SERVER_PORT=82, HEARTBEAT_PORT=81',
        path: 'server.port',
        message: 'set twice with different values; keep only HEARTBEAT_SERVER_PORT',
      },
    ]);
  });

  it('takes an empty variable for unset, as docker compose passes ${UNSET}', () => {
    expect(readEnv({ HEARTBEAT_PORT: '', HEARTBEAT_AUTH_ADMIN_KEY: '' })).toMatchObject({
      values: {},
      problems: [],
    });
  });

  it('points each bad value at NAME=value', () => {
    expect(
      readEnv({ HEARTBEAT_INSTANCES_VALID_TIME: 'sixty', HEARTBEAT_AUTH_PUBLIC_READ: 'maybe' }).problems,
    ).toEqual([
      {
        source: 'HEARTBEAT_INSTANCES_VALID_TIME=sixty',
        path: 'instances.validTime',
        message: '"sixty" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d',
      },
      {
        source: 'HEARTBEAT_AUTH_PUBLIC_READ=maybe',
        path: 'auth.publicRead',
        message: '"maybe" is not a boolean; write true or false (yes/no and 1/0 work too)',
      },
    ]);
  });

  it('never shows secrets: the admin key is hidden, a store URL loses its password', () => {
    const { problems } = readEnv({ HEARTBEAT_STORE: 'mysql://hub:s3cret@db/hub' });
    expect(JSON.stringify(problems)).not.toContain('s3cret');
    expect(problems[0]?.source).toBe('HEARTBEAT_STORE=mysql://hub:***@db/hub');
  });

  it('reports unknown names under a hub section, with a suggestion', () => {
    expect(readEnv({ HEARTBEAT_SERVER_PROT: '80', HEARTBEAT_INSTANCES_VALIDTIME: '5s' }).problems).toEqual([
      {
        source: 'HEARTBEAT_INSTANCES_VALIDTIME',
        path: '',
        message: 'unknown setting; did you mean HEARTBEAT_INSTANCES_VALID_TIME?',
      },
      {
        source: 'HEARTBEAT_SERVER_PROT',
        path: '',
        message: 'unknown setting; did you mean HEARTBEAT_SERVER_PORT?',
      },
    ]);
    expect(readEnv({ HEARTBEAT_LOG_COLOUR: 'x' }).problems[0]?.message).toBe(
      'unknown setting; the hub reads HEARTBEAT_LOG_LEVEL, HEARTBEAT_LOG_FORMAT',
    );
  });

  it('leaves other HEARTBEAT_* names alone: they may belong to the agent or the CLI', () => {
    expect(
      readEnv({ HEARTBEAT_HUB_URL: 'http://hub', HEARTBEAT_CONFIG: 'x.yaml', HEARTBEAT_KEY: 'k' }).problems,
    ).toEqual([]);
  });
});

describe('readFlagLayer', () => {
  it('reads the flags leaves declare, strings or numbers', () => {
    const problems: ConfigProblem[] = [];
    const layer = readFlagLayer(
      schema,
      { port: 9000, host: 'localhost', data: './d', store: 'hub.db', logLevel: 'warn', config: 'x.yaml' },
      problems,
    );
    expect(problems).toEqual([]);
    expect(
      Object.fromEntries([...layer].map(([path, { value, location }]) => [path, [value, location]])),
    ).toEqual({
      'server.port': [9000, '--port=9000'],
      'server.host': ['localhost', '--host=localhost'],
      data: ['./d', '--data=./d'],
      store: ['hub.db', '--store=hub.db'],
      'log.level': ['warn', '--log-level=warn'],
    });
  });

  it('points each bad flag at --flag=value', () => {
    const problems: ConfigProblem[] = [];
    readFlagLayer(schema, { port: '80a', logLevel: 'loud' }, problems);
    expect(problems).toEqual([
      {
        source: '--port=80a',
        path: 'server.port',
        message: '"80a" is not a port; use a whole number from 0 to 65535 (0 picks a free port)',
      },
      {
        source: '--log-level=loud',
        path: 'log.level',
        message: '"loud" is not one of fatal, error, warn, info, debug, trace, silent',
      },
    ]);
  });
});
