import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../domain/events.js';
import type { InstanceRecord } from '../domain/instance.js';
import { changesFromEvents, currentConditions, type HubState } from './conditions.js';

const T0 = Date.parse('2026-11-21T10:00:00.000Z');

function instance(
  instanceId: string,
  state: InstanceRecord['state'],
  extra: Partial<InstanceRecord> = {},
): InstanceRecord {
  return {
    instanceId,
    service: 'orders',
    state,
    unconfirmed: false,
    registeredAt: T0 - 600_000,
    lastHeartbeatAt: T0 - 61_000,
    stateChangedAt: T0,
    removedAt: null,
    beats: 10,
    message: { instanceId, service: 'orders', hostName: `host-${instanceId}` },
    ...extra,
  };
}

/** The hub's state as plain data. */
function hubState(
  instances: InstanceRecord[],
  preservation: ReturnType<HubState['selfPreservation']> = { active: false, since: null, unconfirmed: 0 },
): HubState {
  return {
    api: () => undefined,
    apis: () => [],
    instance: (id) => instances.find((record) => record.instanceId === id),
    instances: () => instances,
    selfPreservation: () => preservation,
  };
}

let id = 0;
function event(
  kind: StoredEvent['kind'],
  data: Record<string, unknown>,
  extra: Partial<StoredEvent> = {},
): StoredEvent {
  return { id: ++id, at: T0, kind, data, ...extra };
}

describe('changesFromEvents', () => {
  it('an API status change ends the old condition and starts the new one, with the evidence', () => {
    const changes = changesFromEvents(
      [
        event(
          'api.status_changed',
          {
            basepath: '/orders/v1',
            from: 'UP',
            to: 'DOWN',
            ratio: 0.42,
            samples: 57,
            failures: 33,
            threshold: 0.9,
            minSamples: 5,
            windowMs: 300_000,
            bySource: { traffic: 50, pulse: 7, otlp: 0 },
            lastFailures: [{ at: T0 - 1000, statusCode: 503, error: null, durationMs: 4, source: 'traffic' }],
          },
          { basepath: '/orders/v1' },
        ),
      ],
      hubState([]),
    );
    expect(changes.map((c) => [c.condition, c.active])).toEqual([
      ['api.up', false],
      ['api.down', true],
    ]);
    expect(changes[1]!.evidence.lines).toEqual([
      'success ratio 42.0% over 57 requests, 33 failed (UP at ≥ 90.0%, at least 5 samples in 5 min)',
      'sources: traffic 50, pulse 7',
      'last failures: 503 (traffic) at 2026-11-21T09:59:59.000Z',
    ]);
  });

  it('a lost instance brings its failing checks; the last one lost leaves its service with none alive', () => {
    const lost = instance('i-1', 'lost', {
      message: {
        instanceId: 'i-1',
        service: 'orders',
        status: 'error',
        checks: [
          { name: 'db', status: 'error', message: 'connection refused' },
          { name: 'disk', status: 'ok' },
        ],
      },
    });
    const changes = changesFromEvents(
      [
        event(
          'instance.lost',
          { silentForMs: 61_000, validTimeMs: 60_000 },
          { instanceId: 'i-1', service: 'orders' },
        ),
      ],
      hubState([lost, instance('i-2', 'stopped')]),
    );
    expect(changes).toMatchObject([
      {
        condition: 'instance.lost',
        active: true,
        subject: { type: 'instance', id: 'i-1', service: 'orders' },
        evidence: {
          lines: [
            'no heartbeat for 61.0 s (valid time 60.0 s); last at 2026-11-21T09:58:59.000Z',
            'last reported status: error',
            'check db: error — connection refused',
          ],
        },
      },
      {
        condition: 'service.no_alive_instance',
        active: true,
        subject: { type: 'service', id: 'orders' },
        evidence: { lines: ['1 lost (i-1), 1 stopped, none alive'] },
      },
    ]);
  });

  it('a recovery clears the instance and its service; a graceful stop is not a loss', () => {
    const changes = changesFromEvents(
      [event('instance.recovered', { lostForMs: 90_000 }, { instanceId: 'i-1', service: 'orders' })],
      hubState([instance('i-1', 'alive')]),
    );
    expect(changes.map((c) => [c.condition, c.active, c.evidence.lines[0]])).toEqual([
      ['instance.lost', false, 'heartbeats again after 90.0 s lost'],
      ['service.no_alive_instance', false, '1 alive'],
    ]);
    const stopped = changesFromEvents(
      [event('instance.stopped', { from: 'alive' }, { instanceId: 'i-2', service: 'orders' })],
      hubState([instance('i-2', 'stopped')]),
    );
    expect(stopped.map((c) => [c.condition, c.active])).toEqual([
      ['instance.lost', false],
      ['service.no_alive_instance', false],
    ]);
  });

  it('self-preservation is a condition of the hub; unwatched conditions are not computed', () => {
    const entered = event('hub.self_preservation_entered', {
      alive: 40,
      silent: 30,
      ratio: 0.5,
      minInstances: 10,
    });
    expect(changesFromEvents([entered], hubState([]))[0]).toMatchObject({
      condition: 'hub.self_preservation',
      active: true,
      subject: { type: 'hub', id: 'hub' },
    });
    const lost = event('instance.lost', {}, { instanceId: 'i-1', service: 'orders' });
    expect(
      changesFromEvents([lost, entered], hubState([instance('i-1', 'lost')]), new Set(['instance.lost'])),
    ).toHaveLength(1);
  });
});

describe('currentConditions', () => {
  it('lists what holds now, from when it started: lost instances, dead services, self-preservation', () => {
    const state = hubState(
      [
        instance('i-1', 'lost', { stateChangedAt: T0 - 5000 }),
        instance('i-2', 'alive', { service: 'billing' }),
      ],
      {
        active: true,
        since: T0 - 1000,
        unconfirmed: 3,
      },
    );
    expect(currentConditions(state, T0).map((c) => [c.condition, c.subject.id, c.at])).toEqual([
      ['instance.lost', 'i-1', T0 - 5000],
      ['service.no_alive_instance', 'orders', T0],
      ['hub.self_preservation', 'hub', T0 - 1000],
    ]);
  });
});
