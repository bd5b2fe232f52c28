import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeartbeatError } from '@heartbeat/sdk';
import { describe, expect, it } from 'vitest';
import { isFailure } from '../domain/api.js';
import {
  apiDefinitionsFromConfig,
  failOnRule,
  mergeStatusRanges,
  pulseUrl,
  type ApiConfig,
} from './api-config.js';
import type { ConfigProblem } from './config-problem.js';
import { HUB_CONFIG_SCHEMA, type HubConfig } from './hub-config.js';
import { loadHubConfig } from './load-hub-config.js';
import { resolveConfig } from './resolve-config.js';

/** Resolves YAML written as lines, so each test shows the line numbers it expects. */
function resolve(...lines: string[]): { config?: HubConfig; problems: string[] } {
  const resolved = resolveConfig(HUB_CONFIG_SCHEMA, { file: { name: 'hub.yaml', text: lines.join('\n') } });
  if (resolved.ok) return { config: resolved.config, problems: [] };
  return { problems: resolved.problems.map((p) => `${p.source} ${p.path}: ${p.message}`) };
}

function apis(...lines: string[]): ApiConfig[] {
  const { config, problems } = resolve(...lines);
  expect(problems).toEqual([]);
  return config?.apis ?? [];
}

const problems = (...lines: string[]): string[] => resolve(...lines).problems;

const FULL_EXAMPLE = [
  'autoRegister: false', //                                      1
  'apiHistory:', //                                              2
  '  minuteRetention: 12h', //                                   3
  'apis:', //                                                    4
  '  - basepath: /eni/echo/v1/', //                              5
  '    name: Echo', //                                           6
  '    owner: team-echo', //                                     7
  '    upstream: http://echo:8080/eni/echo/v1', //               8
  '    runbook: https://wiki.example.com/echo', //               9
  '    labels: { tier: gold, region: eu-west-1 }', //           10
  '    window: 2m', //                                          11
  '    threshold: 95%', //                                      12
  '    minSamples: 10', //                                      13
  '    failOn: [5xx, 429, errors]', //                          14
  '    pulse:', //                                              15
  '      path: /health', //                                     16
  '      method: post', //                                      17
  '      headers:', //                                          18
  '        Accept: application/json', //                       19
  '        X-Probe: heartbeat', //                              20
  '      body: \'{"deep": true}\'', //                          21
  '      interval: 10s', //                                     22
  '      timeout: 2s', //                                       23
  '      expect:', //                                           24
  '        status: [200, "300-304"]', //                        25
  '        json:', //                                           26
  '          - { path: status, equals: UP }', //                27
  '          - { path: checks.db.latency, lessThan: 250 }', //  28
  '          - { path: error, equals: null }', //               29
  '          - { path: version, matches: "^2\\\\." }', //       30
  '        maxResponseTime: 1500ms', //                         31
  '  - basepath: /orders', //                                   32
];

describe('apis: a full example', () => {
  it('reads every field, normalizing the basepath and filling the defaults', () => {
    const { config, problems } = resolve(...FULL_EXAMPLE);
    expect(problems).toEqual([]);
    expect(config?.autoRegister).toBe(false);
    expect(config?.apiHistory).toEqual({ minuteRetention: 43_200_000, retention: 2_592_000_000 });
    expect(config?.apis).toEqual([
      {
        basepath: '/eni/echo/v1',
        name: 'Echo',
        owner: 'team-echo',
        upstream: 'http://echo:8080/eni/echo/v1',
        runbook: 'https://wiki.example.com/echo',
        labels: { tier: 'gold', region: 'eu-west-1' },
        window: 120_000,
        threshold: 0.95,
        minSamples: 10,
        failOn: [[500, 599], [429, 429], 'errors'],
        pulse: {
          enabled: true,
          url: undefined,
          path: '/health',
          method: 'POST',
          headers: { Accept: 'application/json', 'X-Probe': 'heartbeat' },
          body: '{"deep": true}',
          interval: 10_000,
          timeout: 2000,
          expect: {
            status: [
              [200, 200],
              [300, 304],
            ],
            json: [
              { path: 'status', equals: 'UP' },
              { path: 'checks.db.latency', lessThan: 250 },
              { path: 'error', equals: null },
              { path: 'version', matches: '^2\\.' },
            ].map((condition) => ({
              equals: undefined,
              notEquals: undefined,
              exists: undefined,
              greaterThan: undefined,
              lessThan: undefined,
              matches: undefined,
              ...condition,
            })),
            maxResponseTime: 1500,
          },
        },
      },
      {
        basepath: '/orders',
        name: undefined,
        owner: undefined,
        upstream: undefined,
        runbook: undefined,
        labels: {},
        window: 300_000,
        threshold: 0.9,
        minSamples: 5,
        failOn: [[500, 599], 'errors'],
        pulse: undefined,
      },
    ]);
  });

  it('converts to the domain definitions, origin config, pulse URL below the upstream', () => {
    const { config } = resolve(...FULL_EXAMPLE);
    const [echo, orders] = apiDefinitionsFromConfig(config!, 1_700_000_000_000);
    expect(echo).toEqual({
      basepath: '/eni/echo/v1',
      name: 'Echo',
      owner: 'team-echo',
      upstream: 'http://echo:8080/eni/echo/v1',
      runbook: 'https://wiki.example.com/echo',
      labels: { tier: 'gold', region: 'eu-west-1' },
      windowMs: 120_000,
      threshold: 0.95,
      minSamples: 10,
      failOn: {
        statusRanges: [
          [429, 429],
          [500, 599],
        ],
        errors: true,
      },
      pulse: {
        enabled: true,
        url: 'http://echo:8080/eni/echo/v1/health',
        method: 'POST',
        headers: { Accept: 'application/json', 'X-Probe': 'heartbeat' },
        body: '{"deep": true}',
        intervalMs: 10_000,
        timeoutMs: 2000,
        expect: {
          status: [
            [200, 200],
            [300, 304],
          ],
          json: [
            { path: 'status', equals: 'UP' },
            { path: 'checks.db.latency', lessThan: 250 },
            { path: 'error', equals: null },
            { path: 'version', matches: '^2\\.' },
          ],
          maxResponseTimeMs: 1500,
        },
      },
      origin: 'config',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
    expect(orders).toStrictEqual({
      basepath: '/orders',
      labels: {},
      windowMs: 300_000,
      threshold: 0.9,
      minSamples: 5,
      failOn: { statusRanges: [[500, 599]], errors: true },
      origin: 'config',
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
  });

  it('is what docs/hub-config.md shows, and that example is valid', async () => {
    const doc = await readFile(new URL('../../../../docs/hub-config.md', import.meta.url), 'utf8');
    const example = /## APIs[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const { config, problems } = resolve(example ?? '');
    expect(problems).toEqual([]);
    expect(config?.apis.map((api) => api.basepath)).toEqual(['/eni/echo/v1', '/orders', '/payments/db']);
    expect(apiDefinitionsFromConfig(config!, 0).map((api) => api.pulse?.url)).toEqual([
      'http://echo.internal:8080/eni/echo/v1/health',
      undefined,
      'tcp://payments-db:5432',
    ]);
  });

  it('points at the file through loadHubConfig too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'heartbeat-apis-'));
    try {
      const file = join(dir, 'hub.yaml');
      await writeFile(file, ['apis:', '  - basepath: /a', '    window: 5s'].join('\n'));
      const error: unknown = await loadHubConfig({ configFile: file, env: {} }).catch(
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(HeartbeatError);
      expect((error as HeartbeatError).details).toEqual({
        problems: [
          {
            source: `${file}:3:13`,
            path: 'apis[0].window',
            message: '"5s" is shorter than the minimum of 10s',
          },
        ] satisfies ConfigProblem[],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('apis: every field refuses a bad value at its line and column', () => {
  it('the API fields', () => {
    expect(
      problems(
        'apis:',
        '  - basepath: eni/echo', //                     2
        '    name: ""', //                               3
        '    owner: 42', //                              4
        '    upstream: http://echo/v1?x=1', //           5
        '    runbook: wiki/echo', //                     6
        '    labels: { tier: 1 }', //                    7
        '    window: 5s', //                             8
        '    threshold: 1.5', //                         9
        '    minSamples: 0', //                         10
        '    failOn: [5xx, 6xx]', //                    11
        '    colour: red', //                           12
        `  - basepath: /${'a'.repeat(256)}`, //         13
        '  - name: no basepath', //                     14
        '  - basepath: /a b', //                        15
        '    labels: [gold]', //                        16
      ),
    ).toEqual([
      'hub.yaml:2:15 apis[0].basepath: "eni/echo" is not a basepath; start with / and use only letters, digits and . _ ~ / - like /eni/echo/v1',
      'hub.yaml:3:11 apis[0].name: "" is empty; give a value, or leave it out for the default',
      'hub.yaml:4:12 apis[0].owner: 42 is not text; put it in quotes: "42"',
      'hub.yaml:5:15 apis[0].upstream: "http://echo/v1?x=1" has a query or fragment; give the base URL that paths are added to',
      'hub.yaml:6:14 apis[0].runbook: "wiki/echo" is not an absolute URL; write it like https://host/path',
      'hub.yaml:7:21 apis[0].labels.tier: 1 is not text; put it in quotes: "1"',
      'hub.yaml:8:13 apis[0].window: "5s" is shorter than the minimum of 10s',
      'hub.yaml:9:16 apis[0].threshold: 1.5 is not a ratio; write a number from 0 to 1 like 0.5, or a percentage like 50%',
      'hub.yaml:10:17 apis[0].minSamples: 0 is below the minimum of 1',
      'hub.yaml:11:19 apis[0].failOn[1]: "6xx" is not a status code, class, range or errors; write 5xx, 429, "500-504" or errors (timeouts and connection errors)',
      'hub.yaml:12:5 apis[0].colour: unknown key; under apis[0] the keys are basepath, name, owner, upstream, runbook, labels, window, threshold, minSamples, failOn, pulse',
      `hub.yaml:13:15 apis[1].basepath: "/${'a'.repeat(256)}" is longer than 256 characters (257)`,
      'hub.yaml:14:5 apis[2].basepath: is required; add "basepath:" to this item',
      'hub.yaml:15:15 apis[3].basepath: "/a b" is not a basepath; start with / and use only letters, digits and . _ ~ / - like /eni/echo/v1',
      'hub.yaml:16:13 apis[3].labels: expected a mapping of string to string, found a list',
    ]);
  });

  it('the pulse fields', () => {
    expect(
      problems(
        'apis:',
        '  - basepath: /a',
        '    pulse:',
        '      enabled: maybe', //                            4
        '      url: ftp://files/a', //                        5
        '      method: FETCH', //                             6
        '      headers: { "Bad Name": x, X-Ok: "a\\nb" }', // 7
        '      body: 42', //                                  8
        '      interval: 500ms', //                           9
        '      timeout: 0', //                               10
        '      intervall: 5s', //                            11
        '  - basepath: /b',
        '    upstream: http://b',
        '    pulse:',
        '      path: http://b/health', //                    15
        '      expect:',
        '        status: [200, 700]', //                     17
        '        maxResponseTime: soon', //                  18
        '        json:',
        '          - path: ""', //                           20
        '            exists: maybe', //                      21
        '          - path: a..b', //                         22
        '            greaterThan: x', //                     23
        '          - path: c', //                            24
        '            matches: "[a"', //                      25
        '          - path: d', //                            26
        '            equals: [1]', //                        27
        '          - equal: 1', //                           28
        '  - basepath: /c',
        '    pulse: true', //                                30
      ),
    ).toEqual([
      'hub.yaml:4:16 apis[0].pulse.enabled: "maybe" is not a boolean; write true or false (yes/no and 1/0 work too)',
      'hub.yaml:5:12 apis[0].pulse.url: "ftp://files/a" is not a http:// or https:// or tcp:// URL',
      'hub.yaml:6:15 apis[0].pulse.method: "FETCH" is not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
      'hub.yaml:7:18 apis[0].pulse.headers.Bad Name: "Bad Name" is not a header name; use letters, digits and - like X-Api-Key',
      'hub.yaml:7:39 apis[0].pulse.headers.X-Ok: "a\\nb" has a line break; a header value is one line',
      'hub.yaml:8:13 apis[0].pulse.body: 42 is not text; put it in quotes: "42"',
      'hub.yaml:9:17 apis[0].pulse.interval: "500ms" is shorter than the minimum of 1s',
      'hub.yaml:10:16 apis[0].pulse.timeout: 0 is shorter than the minimum of 1ms',
      'hub.yaml:11:7 apis[0].pulse.intervall: unknown key; did you mean "interval"?',
      'hub.yaml:15:13 apis[1].pulse.path: "http://b/health" is a full URL; give it as url, or a path like /health',
      'hub.yaml:17:23 apis[1].pulse.expect.status[1]: 700 is not a status code, class or range; write it like 200, 5xx or "500-504" (codes 100–599)',
      'hub.yaml:18:26 apis[1].pulse.expect.maxResponseTime: "soon" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d',
      'hub.yaml:20:19 apis[1].pulse.expect.json[0].path: "" is empty; give a value, or leave it out for the default',
      'hub.yaml:21:21 apis[1].pulse.expect.json[0].exists: "maybe" is not a boolean; write true or false (yes/no and 1/0 work too)',
      'hub.yaml:22:19 apis[1].pulse.expect.json[1].path: "a..b" is not a dotted path; write it like status or checks.db.status',
      'hub.yaml:23:26 apis[1].pulse.expect.json[1].greaterThan: "x" is not a number',
      'hub.yaml:25:22 apis[1].pulse.expect.json[2].matches: "[a" is not a regular expression: Invalid regular expression: /[a/: Unterminated character class',
      'hub.yaml:27:21 apis[1].pulse.expect.json[3].equals: expected a value (string, number, boolean or null), found a list',
      'hub.yaml:28:13 apis[1].pulse.expect.json[4].equal: unknown key; did you mean "equals"?',
      'hub.yaml:28:13 apis[1].pulse.expect.json[4].path: is required; add "path:" to this item',
      'hub.yaml:30:12 apis[2].pulse: expected a mapping with enabled, url, path, method, headers, body, interval, timeout, expect, found true',
    ]);
  });
});

describe('apis: rules across fields', () => {
  it('a basepath declared twice names both lines, after normalizing', () => {
    expect(
      problems(
        'apis:',
        '  - basepath: /eni/echo/v1',
        '  - basepath: /orders',
        '  - basepath: /eni/echo/v1/',
        '    window: 1s',
        '  - basepath: /orders',
      ),
    ).toEqual([
      'hub.yaml:5:13 apis[2].window: "1s" is shorter than the minimum of 10s',
      'hub.yaml:4:15 apis[2].basepath: "/eni/echo/v1" is declared twice, first at hub.yaml:2:15 (apis[0].basepath); declare each basepath once',
      'hub.yaml:6:15 apis[3].basepath: "/orders" is declared twice, first at hub.yaml:3:15 (apis[1].basepath); declare each basepath once',
    ]);
  });

  it('pulse.path needs an upstream', () => {
    expect(problems('apis:', '  - basepath: /a', '    pulse:', '      path: /health')).toEqual([
      'hub.yaml:4:13 apis[0].pulse.path: needs upstream on this API to be relative to; set upstream, or give pulse.url instead',
    ]);
  });

  it('pulse takes url or path, one of them', () => {
    expect(
      problems(
        'apis:',
        '  - basepath: /a',
        '    upstream: http://a',
        '    pulse: { url: "http://a/health", path: /health }',
        '  - basepath: /b',
        '    pulse:',
        '      method: GET',
      ),
    ).toEqual([
      'hub.yaml:4:44 apis[0].pulse.path: cannot be used with url; give the whole url, or a path relative to upstream',
      "hub.yaml:7:7 apis[1].pulse: needs url, or path relative to the API's upstream",
    ]);
    expect(apis('apis:', '  - basepath: /a', '    pulse: { enabled: false }')[0]?.pulse?.enabled).toBe(false);
  });

  it('timeout must be shorter than interval, pointed at whichever was written', () => {
    expect(
      problems(
        'apis:',
        '  - basepath: /a',
        '    pulse: { url: "http://a", interval: 10s, timeout: 10s }',
        '  - basepath: /b',
        '    pulse:',
        '      url: http://b',
        '      interval: 5s',
        '  - basepath: /c',
        '    pulse: { url: "http://c", timeout: 2s, expect: { maxResponseTime: 3s } }',
      ),
    ).toEqual([
      'hub.yaml:3:55 apis[0].pulse.timeout: 10s is not shorter than interval (10s); a probe must end before the next one starts',
      'hub.yaml:7:17 apis[1].pulse.interval: 5s is not longer than timeout (5s); a probe must end before the next one starts',
      'hub.yaml:9:71 apis[2].pulse.expect.maxResponseTime: 3s is longer than timeout (2s); raise timeout too, or a slow answer times out first',
    ]);
  });

  it('a JSON condition has exactly one operator', () => {
    expect(
      problems(
        'apis:',
        '  - basepath: /a',
        '    pulse:',
        '      url: http://a',
        '      expect:',
        '        json:',
        '          - { path: status }',
        '          - { path: count, greaterThan: 0, lessThan: 10 }',
        '          - { path: status, equals: }',
      ),
    ).toEqual([
      'hub.yaml:7:13 apis[0].pulse.expect.json[0]: needs one of equals, notEquals, exists, greaterThan, lessThan, matches',
      'hub.yaml:8:54 apis[0].pulse.expect.json[1].lessThan: cannot be used with greaterThan; give one operator per condition (add another for more)',
      // `equals:` with nothing is "not given"; `equals: null` is the value null.
      'hub.yaml:9:13 apis[0].pulse.expect.json[2]: needs one of equals, notEquals, exists, greaterThan, lessThan, matches',
    ]);
  });

  it('a tcp:// probe only connects, so HTTP settings are refused', () => {
    expect(
      problems('apis:', '  - basepath: /db', '    pulse:', '      url: tcp://db:5432', '      body: ping'),
    ).toEqual([
      'hub.yaml:5:13 apis[0].pulse.body: does not apply to a tcp:// probe, which only opens a connection; leave it out',
    ]);
    const [db] = apis('apis:', '  - basepath: /db', '    pulse: { url: "tcp://db:5432", timeout: 1s }');
    expect(db?.pulse).toMatchObject({ url: 'tcp://db:5432', timeout: 1000 });
  });
});

describe('failOn', () => {
  const failOn = (value: string) => apis('apis:', '  - basepath: /a', `    failOn: ${value}`)[0]?.failOn;

  it('takes classes, codes, ranges and errors, in a list or alone', () => {
    expect(failOn('[5xx, 429, "500-504", errors]')).toEqual([[500, 599], [429, 429], [500, 504], 'errors']);
    expect(failOn('4xx')).toEqual([[400, 499]]);
    expect(failOn('ERRORS')).toEqual(['errors']);
    expect(failOn('\n      - 503\n      - 504')).toEqual([
      [503, 503],
      [504, 504],
    ]);
  });

  it('suggests errors for a near miss, and refuses an empty list', () => {
    expect(problems('apis:', '  - basepath: /a', '    failOn: [timeouts, error]')).toEqual([
      'hub.yaml:3:14 apis[0].failOn[0]: "timeouts" is not a status code, class, range or errors; write 5xx, 429, "500-504" or errors (timeouts and connection errors)',
      'hub.yaml:3:24 apis[0].failOn[1]: "error" is not a status code, class, range or errors; did you mean errors?',
    ]);
    expect(problems('apis:', '  - basepath: /a', '    failOn: []')).toEqual([
      'hub.yaml:3:13 apis[0].failOn: needs at least one value (status code, class, range or errors); leave it out for the default',
    ]);
  });

  it('becomes the domain rule: ranges sorted and joined, errors a flag', () => {
    expect(failOnRule([[500, 599], [429, 429], [500, 504], 'errors'])).toEqual({
      statusRanges: [
        [429, 429],
        [500, 599],
      ],
      errors: true,
    });
    const only4xx = failOnRule([[400, 499]]);
    expect(only4xx).toEqual({ statusRanges: [[400, 499]], errors: false });
    expect(isFailure(only4xx, undefined, 'timeout')).toBe(false);
    expect(isFailure(only4xx, 404, undefined)).toBe(true);
    expect(
      mergeStatusRanges([
        [503, 503],
        [500, 502],
        [504, 504],
        [200, 299],
      ]),
    ).toEqual([
      [200, 299],
      [500, 504],
    ]);
  });
});

describe('pulseUrl', () => {
  it('keeps url, else joins upstream and path with one slash, below the upstream path', () => {
    expect(pulseUrl({ url: 'http://x/h' }, 'http://up')).toBe('http://x/h');
    expect(pulseUrl({ path: '/health' }, 'http://up:8080/eni/echo/v1/')).toBe(
      'http://up:8080/eni/echo/v1/health',
    );
    expect(pulseUrl({ path: '/health?deep=1' }, 'http://up')).toBe('http://up/health?deep=1');
    expect(pulseUrl({ path: '/health' }, undefined)).toBeUndefined();
  });

  it('adds the leading slash a path was written without', () => {
    const [api] = apis(
      'apis:',
      '  - basepath: /a',
      '    upstream: http://a/v1',
      '    pulse: { path: status }',
    );
    expect(apiDefinitionsFromConfig({ apis: api ? [api] : [] }, 0)[0]?.pulse?.url).toBe('http://a/v1/status');
  });

  it('leaves out a paused probe with nowhere to go', () => {
    const [api] = apis('apis:', '  - basepath: /a', '    pulse: { enabled: false }');
    expect(apiDefinitionsFromConfig({ apis: api ? [api] : [] }, 0)[0]?.pulse).toBeUndefined();
  });
});
