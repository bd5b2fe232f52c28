import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB_CONFIG, HUB_CONFIG_SCHEMA, hubStoreLocation, redactUrlPassword } from './hub-config.js';
import { resolveConfig } from './resolve-config.js';

describe('DEFAULT_HUB_CONFIG', () => {
  it('is the documented defaults, durations in ms', () => {
    expect(DEFAULT_HUB_CONFIG).toStrictEqual({
      server: { port: 8900, host: '0.0.0.0', routePrefix: '', publicUrl: undefined },
      data: './data',
      store: undefined,
      instances: {
        validTime: 60_000,
        retention: 600_000,
        selfPreservation: { enabled: true, ratio: 0.5, minInstances: 10 },
      },
      events: { retention: 2_592_000_000 },
      auth: { publicRead: false, adminKey: undefined },
      ingest: { maxBodyBytes: 1_048_576, maxBatch: 1000 },
      log: { level: 'info', format: 'json' },
      autoRegister: true,
      apiHistory: { minuteRetention: 86_400_000, retention: 2_592_000_000 },
      metrics: { enabled: true },
      badges: { maxAge: 60_000 },
      apis: [],
      notifications: { maxAttempts: 8, retention: 2_592_000_000 },
      notifiers: [],
      rules: [],
      maintenance: [],
    });
  });

  it('passes its own validation', () => {
    expect(resolveConfig(HUB_CONFIG_SCHEMA, {})).toMatchObject({ ok: true, config: DEFAULT_HUB_CONFIG });
  });
});

describe('server.routePrefix', () => {
  const prefix = (value: string) => {
    const resolved = resolveConfig(HUB_CONFIG_SCHEMA, { env: { HEARTBEAT_SERVER_ROUTE_PREFIX: value } });
    return resolved.ok ? resolved.config.server.routePrefix : resolved.problems[0]?.message;
  };

  it('takes a leading slash and no trailing one, whichever way it is written', () => {
    expect(prefix('/eni/heartbeat')).toBe('/eni/heartbeat');
    expect(prefix('/eni/heartbeat/')).toBe('/eni/heartbeat');
    expect(prefix('eni/heartbeat')).toBe('/eni/heartbeat');
    expect(prefix('/')).toBe('');
  });

  it('refuses what cannot be a path', () => {
    expect(prefix('/a b')).toBe(
      '"/a b" is not a route prefix; use path segments of letters, digits and ._~- like /eni/heartbeat',
    );
    expect(prefix('/a//b')).toMatch(/is not a route prefix/);
  });
});

describe('store', () => {
  const store = (value: string) => {
    const resolved = resolveConfig(HUB_CONFIG_SCHEMA, { env: { HEARTBEAT_STORE: value } });
    return resolved.ok ? resolved.config.store : resolved.problems[0]?.message;
  };

  it('takes a PostgreSQL URL or a file path', () => {
    expect(store('postgres://hub:pw@db:5432/hub')).toBe('postgres://hub:pw@db:5432/hub');
    expect(store('postgresql://db/hub')).toBe('postgresql://db/hub');
    expect(store('/var/lib/heartbeat/hub.db')).toBe('/var/lib/heartbeat/hub.db');
  });

  it('refuses other URLs without showing their password', () => {
    expect(store('mysql://hub:pw@db/hub')).toBe(
      '"mysql://hub:***@db/hub" is not a store the hub can use; write postgres://user:password@host:5432/db, or a SQLite file path',
    );
  });

  it('redacts only the password of a URL', () => {
    expect(redactUrlPassword('postgres://hub:s3cr:et@db/hub')).toBe('postgres://hub:***@db/hub');
    expect(redactUrlPassword('postgres://hub@db/hub')).toBe('postgres://hub@db/hub');
    expect(redactUrlPassword('./hub.db')).toBe('./hub.db');
  });

  it('defaults to heartbeat.db in the data directory', () => {
    expect(hubStoreLocation(DEFAULT_HUB_CONFIG)).toBe('data/heartbeat.db');
    expect(hubStoreLocation({ data: '/srv/hb', store: undefined })).toBe('/srv/hb/heartbeat.db');
    expect(hubStoreLocation({ data: '/srv/hb', store: 'postgres://db/hub' })).toBe('postgres://db/hub');
  });
});

describe('autoRegister and apiHistory', () => {
  it('read from env by the usual names', () => {
    const resolved = resolveConfig(HUB_CONFIG_SCHEMA, {
      env: {
        HEARTBEAT_AUTO_REGISTER: 'false',
        HEARTBEAT_API_HISTORY_MINUTE_RETENTION: '6h',
        HEARTBEAT_API_HISTORY_RETENTION: '7d',
      },
    });
    expect(resolved).toMatchObject({
      ok: true,
      config: { autoRegister: false, apiHistory: { minuteRetention: 21_600_000, retention: 604_800_000 } },
    });
  });

  it('refuse per-minute history kept longer than history, pointing at the setting given', () => {
    expect(
      resolveConfig(HUB_CONFIG_SCHEMA, { env: { HEARTBEAT_API_HISTORY_MINUTE_RETENTION: '40d' } }),
    ).toEqual({
      ok: false,
      problems: [
        {
          source: 'HEARTBEAT_API_HISTORY_MINUTE_RETENTION=40d',
          path: 'apiHistory.minuteRetention',
          message: '40d is longer than apiHistory.retention (30d); lower it, or raise retention',
        },
      ],
    });
    expect(
      resolveConfig(HUB_CONFIG_SCHEMA, {
        file: { name: 'hub.yaml', text: 'apiHistory:\n  retention: 12h\n' },
      }),
    ).toEqual({
      ok: false,
      problems: [
        {
          source: 'hub.yaml:2:14',
          path: 'apiHistory.retention',
          message: '12h is shorter than apiHistory.minuteRetention (1d); lower minuteRetention too',
        },
      ],
    });
  });
});
