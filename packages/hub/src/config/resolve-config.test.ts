import { describe, expect, it } from 'vitest';
import { field, list, requiredField, section, type SectionNode } from './config-schema.js';
import { resolveConfig } from './resolve-config.js';
import { types } from './value-types.js';

/**
 * What a later section looks like: `apis:` as a list of mappings. Adding it to the hub is adding
 * these entries to HUB_CONFIG_SCHEMA (and the fields to HubConfig); no reader changes.
 */
interface WithApis {
  server: { port: number };
  apis: { basepath: string; window: number; pulse: { enabled: boolean; interval: number } }[];
}

const SCHEMA: SectionNode<WithApis> = section({
  server: section({ port: field(types.port(), { default: 8900, doc: 'port', flag: 'port' }) }),
  apis: list(
    section({
      basepath: requiredField(types.string({ nonEmpty: true }), { doc: 'the API' }),
      window: field(types.duration({ min: '10s' }), { default: 300_000, doc: 'status window' }),
      pulse: section({
        enabled: field(types.boolean(), { default: false, doc: 'send synthetic requests' }),
        interval: field(types.duration(), { default: 60_000, doc: 'between them' }),
      }),
    }),
    { doc: 'APIs to watch' },
  ),
});

const yaml = (...lines: string[]) => ({ name: 'hub.yaml', text: lines.join('\n') });

describe('resolveConfig', () => {
  it('gives the defaults when no source says anything', () => {
    expect(resolveConfig(SCHEMA, {})).toEqual({
      ok: true,
      config: { server: { port: 8900 }, apis: [] },
      sources: { 'server.port': 'default', apis: 'default' },
    });
  });

  it('reads lists of mappings from the file, filling each item from its defaults', () => {
    const resolved = resolveConfig(SCHEMA, {
      file: yaml(
        'apis:',
        '  - basepath: /orders',
        '  - basepath: /payments',
        '    window: 1m',
        '    pulse: { enabled: true }',
      ),
    });
    expect(resolved).toEqual({
      ok: true,
      config: {
        server: { port: 8900 },
        apis: [
          { basepath: '/orders', window: 300_000, pulse: { enabled: false, interval: 60_000 } },
          { basepath: '/payments', window: 60_000, pulse: { enabled: true, interval: 60_000 } },
        ],
      },
      sources: { 'server.port': 'default', apis: 'file' },
    });
  });

  it('points list problems at the item and the line', () => {
    const resolved = resolveConfig(SCHEMA, {
      file: yaml(
        'apis:',
        '  - basepath: /orders',
        '    window: 1s',
        '  - window: 1m',
        '    pulse: { enable: true }',
        '  - /payments',
      ),
    });
    expect(resolved).toEqual({
      ok: false,
      problems: [
        {
          source: 'hub.yaml:3:13',
          path: 'apis[0].window',
          message: '"1s" is shorter than the minimum of 10s',
        },
        {
          source: 'hub.yaml:5:14',
          path: 'apis[1].pulse.enable',
          message: 'unknown key; did you mean "enabled"?',
        },
        {
          source: 'hub.yaml:4:5',
          path: 'apis[1].basepath',
          message: 'is required; add "basepath:" to this item',
        },
        { source: 'hub.yaml:6:5', path: 'apis[2]', message: 'expected a mapping, found "/payments"' },
      ],
    });
  });

  it('refuses a list written as something else', () => {
    const resolved = resolveConfig(SCHEMA, { file: yaml('apis:', '  basepath: /orders') });
    expect(resolved).toMatchObject({
      ok: false,
      problems: [
        {
          source: 'hub.yaml:2:3',
          path: 'apis',
          message: 'expected a list (items starting with "- "), found a mapping',
        },
      ],
    });
  });

  it('collects the problems of every source together: file, then env, then flags', () => {
    const resolved = resolveConfig(SCHEMA, {
      file: yaml('server:', '  port: x'),
      env: { HEARTBEAT_SERVER_PORT: 'y' },
      flags: { port: 'z' },
    });
    expect(resolved.ok ? [] : resolved.problems.map((problem) => problem.source)).toEqual([
      'hub.yaml:2:9',
      'HEARTBEAT_SERVER_PORT=y',
      '--port=z',
    ]);
  });

  it('reports a required top-level setting nobody gave', () => {
    const schema: SectionNode<{ url: string }> = section({
      url: requiredField(types.string(), { doc: 'url' }),
    });
    expect(resolveConfig(schema, {})).toEqual({
      ok: false,
      problems: [
        {
          source: 'configuration',
          path: 'url',
          message: 'is required; set it in the config file, as HEARTBEAT_URL',
        },
      ],
    });
    expect(resolveConfig(schema, { env: { HEARTBEAT_URL: 'x' } })).toMatchObject({
      ok: true,
      config: { url: 'x' },
    });
  });
});
