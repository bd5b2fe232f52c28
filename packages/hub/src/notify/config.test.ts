import { HeartbeatError } from '@heartbeat/sdk';
import { describe, expect, it } from 'vitest';
import { resolveHubConfig } from '../config/load-hub-config.js';
import { activeSpan } from './domain/maintenance.js';
import { maintenanceWindow } from './config.js';

function load(text: string) {
  return resolveHubConfig({ file: { name: 'hub.yaml', text } }).config;
}

function problems(text: string): string[] {
  try {
    load(text);
  } catch (thrown) {
    if (!(thrown instanceof HeartbeatError)) throw thrown;
    return (thrown.details as { problems: { source: string; path: string; message: string }[] }).problems.map(
      (p) => `${p.source}: ${p.path}: ${p.message}`,
    );
  }
  throw new Error('expected the configuration to be refused');
}

const VALID = `
server:
  publicUrl: https://hub.example.com
notifiers:
  - name: ops-hook
    webhook:
      url: https://hooks.example.com/heartbeat
      secret: s3cret
  - name: chat
    timeout: 5s
    slack: { url: https://hooks.slack.com/services/T/B/X }
  - name: pager
    pagerduty: { routingKey: R0UT1NG }
  - name: mail
    email:
      smtp: { host: smtp.example.com, port: 25 }
      from: heartbeat@example.com
      to: [ops@example.com]
rules:
  - name: api-down
    when: [api.down]
    for: 2m
    repeat: 1h
    match: { basepath: /orders/*, labels: { tier: gold } }
    notify: [ops-hook, pager]
  - name: lost
    when: instance.lost
    notify: chat
maintenance:
  - name: nightly
    schedule: "0 2 * * mon-fri"
    duration: 30m
    timeZone: Europe/Paris
    rules: [api-down]
  - name: migration
    start: 2026-11-22T01:00:00Z
    end: 2026-11-22T03:00:00+01:00
`;

describe('notifiers, rules and maintenance in the YAML', () => {
  it('reads a full configuration with its defaults', () => {
    const config = load(VALID);
    expect(config.server.publicUrl).toBe('https://hub.example.com');
    expect(config.notifiers[0]).toMatchObject({
      name: 'ops-hook',
      timeout: 10_000,
      concurrency: 4,
      webhook: { url: 'https://hooks.example.com/heartbeat', secret: 's3cret', headers: {} },
    });
    expect(config.notifiers[2]?.pagerduty).toMatchObject({
      routingKey: 'R0UT1NG',
      severity: 'critical',
      url: 'https://events.pagerduty.com/v2/enqueue',
    });
    expect(config.notifiers[3]?.email).toMatchObject({
      smtp: { port: 25, secure: false },
      to: ['ops@example.com'],
    });
    expect(config.rules[0]).toMatchObject({
      when: ['api.down'],
      for: 120_000,
      repeat: 3_600_000,
      resolved: true,
      group: 10_000,
      match: { basepath: ['/orders/*'], service: [], labels: { tier: 'gold' } },
    });
    expect(config.rules[1]).toMatchObject({ when: ['instance.lost'], for: 0, notify: ['chat'] });
    const nightly = maintenanceWindow(config.maintenance[0]!);
    // 2026-11-23 is a Monday: 02:00 in Paris is 01:00Z.
    expect(activeSpan(nightly, Date.parse('2026-11-23T01:10:00Z'))).toBeDefined();
    expect(activeSpan(nightly, Date.parse('2026-11-22T01:10:00Z'))).toBeUndefined();
    expect(config.maintenance[1]).toMatchObject({
      start: Date.parse('2026-11-22T01:00:00Z'),
      end: Date.parse('2026-11-22T02:00:00Z'),
    });
  });

  it('names an unknown notifier type, with a suggestion and its line', () => {
    expect(problems('notifiers:\n  - name: p\n    pagerduti: { routingKey: x }\n')).toEqual([
      'hub.yaml:3:5: notifiers[0].pagerduti: unknown key; did you mean "pagerduty"?',
    ]);
    expect(problems('notifiers:\n  - name: p\n')).toEqual([
      'hub.yaml:2:5: notifiers[0]: needs one notifier type: webhook, slack, pagerduty, email; e.g. "webhook:" with "url:" under it',
    ]);
    expect(
      problems(
        'notifiers:\n  - name: p\n    slack: { url: https://a.example }\n    webhook: { url: https://b.example }\n',
      )[0],
    ).toContain('hub.yaml:3:12: notifiers[0].slack: cannot be used with webhook');
  });

  it('points a rule that names an unknown notifier at its line, with a suggestion', () => {
    const text = `notifiers:
  - name: ops-hook
    webhook: { url: https://hooks.example.com }
rules:
  - name: r
    when: api.down
    notify: [ops-hok]
`;
    expect(problems(text)).toEqual([
      'hub.yaml:7:13: rules[0].notify: "ops-hok" is not a notifier; did you mean ops-hook?',
    ]);
  });

  it('refuses bad durations, conditions, cron expressions and time zones, each at its line', () => {
    const text = `notifiers:
  - name: n
    webhook: { url: https://hooks.example.com }
rules:
  - name: r
    when: [api.dwn]
    for: soon
    notify: n
maintenance:
  - name: m
    schedule: "0 25 * * *"
    duration: 30m
    timeZone: Europe/Pariss
  - name: once
    start: tomorrow
`;
    expect(problems(text)).toEqual([
      'hub.yaml:6:12: rules[0].when[0]: "api.dwn" is not one of api.down, api.unknown, api.up, instance.lost, service.no_alive_instance, hub.self_preservation; did you mean api.down?',
      'hub.yaml:7:10: rules[0].for: "soon" is not a duration; write it like 500ms, 30s, 5m, 1h or 1d',
      'hub.yaml:11:15: maintenance[0].schedule: "0 25 * * *" hour "25" is out of range 0-23',
      'hub.yaml:13:15: maintenance[0].timeZone: "Europe/Pariss" is not a time zone; did you mean Europe/Paris?',
      'hub.yaml:15:12: maintenance[1].start: "tomorrow" is not a date and time with a zone; write it like 2026-11-22T01:00:00Z or …T02:00:00+01:00',
    ]);
  });

  it('asks a recurring window for its duration, and a one-off for both ends', () => {
    expect(problems('maintenance:\n  - name: m\n    schedule: "@daily"\n')).toEqual([
      'hub.yaml:2:5: maintenance[0]: needs duration with schedule: how long each window lasts, like 30m',
    ]);
    expect(problems('maintenance:\n  - name: m\n    start: 2026-11-22T01:00:00Z\n')).toEqual([
      'hub.yaml:2:5: maintenance[0]: needs end with start',
    ]);
  });
});
