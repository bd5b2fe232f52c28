import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from './config-problem.js';
import { untyped } from './config-schema.js';
import { readFileLayer } from './file-layer.js';
import { HUB_CONFIG_SCHEMA } from './hub-config.js';

const schema = untyped(HUB_CONFIG_SCHEMA);

/** Reads YAML written as lines, so each test shows the line numbers it expects. */
function read(...lines: string[]) {
  const problems: ConfigProblem[] = [];
  const layer = readFileLayer(schema, lines.join('\n'), 'hub.yaml', problems);
  const values = Object.fromEntries([...layer].map(([path, { value }]) => [path, value]));
  const locations = Object.fromEntries([...layer].map(([path, { location }]) => [path, location]));
  return { values, locations, problems: problems.map((p) => `${p.source} ${p.path} | ${p.message}`) };
}

describe('readFileLayer', () => {
  it('reads the tree with camelCase keys, YAML types and strings alike', () => {
    const { values, locations, problems } = read(
      'server:',
      '  port: 9000',
      "  host: '127.0.0.1'",
      'instances:',
      '  validTime: 30s',
      '  selfPreservation:',
      '    enabled: no',
      '    ratio: 0.8',
      'ingest:',
      '  maxBodyBytes: 512kb',
      'auth: { publicRead: true }',
    );
    expect(problems).toEqual([]);
    expect(values).toEqual({
      'server.port': 9000,
      'server.host': '127.0.0.1',
      'instances.validTime': 30_000,
      'instances.selfPreservation.enabled': false,
      'instances.selfPreservation.ratio': 0.8,
      'ingest.maxBodyBytes': 524_288,
      'auth.publicRead': true,
    });
    expect(locations['instances.validTime']).toBe('hub.yaml:5:14');
    expect(locations['auth.publicRead']).toBe('hub.yaml:11:21');
  });

  it('reads an empty file, a comment-only file and empty sections as nothing set', () => {
    expect(read('')).toEqual({ values: {}, locations: {}, problems: [] });
    expect(read('# nothing yet')).toEqual({ values: {}, locations: {}, problems: [] });
    expect(read('server:', 'instances:', '  validTime:', 'store: ~')).toEqual({
      values: {},
      locations: {},
      problems: [],
    });
  });

  it('follows anchors and aliases', () => {
    expect(read('instances:', '  retention: &t 2h', 'events:', '  retention: *t')).toMatchObject({
      values: { 'instances.retention': 7_200_000, 'events.retention': 7_200_000 },
      problems: [],
    });
  });

  it('reports YAML syntax errors at their line, and nothing guessed from a broken file', () => {
    expect(read('server:', '  port: [8900', 'data: x', 'data: y').problems).toEqual([
      'hub.yaml:3:1  | YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'hub.yaml:4:1  | YAML syntax: Map keys must be unique',
    ]);
  });

  it('reports a file that is not a mapping', () => {
    expect(read('- server', '- port').problems).toEqual([
      'hub.yaml:1:1  | the file must be a mapping of settings (like "server:" with "port: 8900" under it), not a list',
    ]);
    expect(read('8900').problems).toEqual([
      'hub.yaml:1:1  | the file must be a mapping of settings (like "server:" with "port: 8900" under it), not 8900',
    ]);
  });

  it('reports wrong shapes where they are', () => {
    expect(read('server: 8900', 'log:', '  level: [info]', 'data:', '  dir: x').problems).toEqual([
      'hub.yaml:1:9 server | expected a mapping with port, host, routePrefix, publicUrl, found 8900',
      'hub.yaml:3:10 log.level | expected a value (one of fatal, error, warn, info, debug, trace, silent), found a list',
      'hub.yaml:5:3 data | expected a value (directory), found a mapping',
    ]);
  });

  it('refuses numbers where text is expected, since YAML may have changed them', () => {
    expect(read('auth:', '  adminKey: 0123').problems).toEqual([
      'hub.yaml:2:13 auth.adminKey | 123 is not text; put it in quotes: "123"',
    ]);
  });

  it('reports unknown keys with the nearest key, in the section or elsewhere', () => {
    expect(
      read(
        'server:',
        '  prot: 80',
        'instances:',
        '  valid_time: 5s',
        'port: 80',
        'retention: 1d',
        'colour: x',
      ).problems,
    ).toEqual([
      'hub.yaml:2:3 server.prot | unknown key; did you mean "port"?',
      'hub.yaml:4:3 instances.valid_time | unknown key; did you mean "validTime"?',
      'hub.yaml:5:1 port | unknown key; did you mean "server.port"?',
      'hub.yaml:6:1 retention | unknown key; did you mean "instances.retention" or "events.retention" or "apiHistory.retention" or "notifications.retention"?',
      'hub.yaml:7:1 colour | unknown key; at the top level the keys are server, data, store, instances, events, auth, ingest, log, autoRegister, apiHistory, metrics, badges, apis, notifications, notifiers, rules, maintenance',
    ]);
    expect(read('log:', '  colour: true').problems).toEqual([
      'hub.yaml:2:3 log.colour | unknown key; under log the keys are level, format',
    ]);
  });
});
