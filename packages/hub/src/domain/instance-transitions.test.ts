import { describe, expect, it } from 'vitest';
import type { HeartbeatMessage, InstanceRecord } from './instance.js';
import {
  applyBeat,
  expireLease,
  markUnconfirmed,
  removeInstance,
  renewInPlace,
  stopInstance,
} from './instance-transitions.js';

const message = { instanceId: 'i1', service: 'orders', version: '1.0.0', status: 'ok' as const };

describe('instance transitions', () => {
  it('registers an unknown instance', () => {
    const { record, events } = applyBeat(undefined, message, 1000);
    expect(record).toMatchObject({
      state: 'alive',
      registeredAt: 1000,
      lastHeartbeatAt: 1000,
      stateChangedAt: 1000,
      beats: 1,
      removedAt: null,
    });
    expect(events).toEqual([
      {
        at: 1000,
        kind: 'instance.registered',
        instanceId: 'i1',
        service: 'orders',
        data: { version: '1.0.0', hostName: null, status: 'ok' },
      },
    ]);
  });

  it('renews an alive instance quietly, keeping since-when', () => {
    const first = applyBeat(undefined, message, 1000).record;
    const { record, events } = applyBeat(first, message, 31_000);
    expect(record).toMatchObject({ lastHeartbeatAt: 31_000, stateChangedAt: 1000, beats: 2 });
    expect(events).toEqual([]);
  });

  it('loses, recovers, and says for how long it was lost', () => {
    const alive = applyBeat(undefined, message, 1000).record;
    const lost = expireLease(alive, 61_000, 60_000);
    expect(lost.record).toMatchObject({ state: 'lost', stateChangedAt: 61_000 });
    expect(lost.events[0]).toMatchObject({
      kind: 'instance.lost',
      data: { silentForMs: 60_000, validTimeMs: 60_000 },
    });
    const back = applyBeat(lost.record, message, 70_000);
    expect(back.record).toMatchObject({ state: 'alive', stateChangedAt: 70_000, registeredAt: 1000 });
    expect(back.events[0]).toMatchObject({ kind: 'instance.recovered', data: { lostForMs: 9000 } });
  });

  it('notes a change of reported health with the failing checks', () => {
    const alive = applyBeat(undefined, message, 1000).record;
    const { events } = applyBeat(
      alive,
      {
        ...message,
        status: 'error',
        checks: [
          { name: 'db', status: 'error', message: 'down' },
          { name: 'x', status: 'ok' },
        ],
      },
      2000,
    );
    expect(events).toEqual([
      {
        at: 2000,
        kind: 'instance.health_changed',
        instanceId: 'i1',
        service: 'orders',
        data: { from: 'ok', to: 'error', failing: [{ name: 'db', status: 'error', message: 'down' }] },
      },
    ]);
  });

  it('stops on goodbye once, and re-registers a stopped instance that beats again', () => {
    const alive = applyBeat(undefined, message, 1000).record;
    const stopped = stopInstance(alive, 5000);
    expect(stopped.record.state).toBe('stopped');
    expect(stopped.events[0]).toMatchObject({
      kind: 'instance.stopped',
      data: { from: 'alive', reason: 'goodbye' },
    });
    expect(stopInstance(stopped.record, 6000).events).toEqual([]);
    const again = applyBeat(stopped.record, message, 9000);
    expect(again.events[0]).toMatchObject({
      kind: 'instance.registered',
      data: { previousState: 'stopped' },
    });
  });

  it('removes after retention and treats a later beat as a new registration', () => {
    const lost = expireLease(applyBeat(undefined, message, 1000).record, 61_000, 60_000).record;
    const removed = removeInstance(lost, 661_000);
    expect(removed.record.removedAt).toBe(661_000);
    expect(removed.events[0]).toMatchObject({
      kind: 'instance.removed',
      data: { state: 'lost', inStateForMs: 600_000 },
    });
    const reborn = applyBeat(removed.record, message, 700_000);
    expect(reborn.record).toMatchObject({ registeredAt: 700_000, beats: 1, removedAt: null });
    expect(reborn.events[0]!.kind).toBe('instance.registered');
  });

  describe('renewInPlace', () => {
    const full: HeartbeatMessage = {
      ...message,
      heartbeatTime: 1000,
      lastHeartbeatTime: 900,
      extInfo: { zone: 'a' },
      plugins: [{ name: 'p', version: '1', extInfo: { k: 'v' } }],
      checks: [{ name: 'db', status: 'ok' }],
    };
    const alive = () => applyBeat(undefined, structuredClone(full), 1000).record;
    const cases: Array<[string, () => InstanceRecord, HeartbeatMessage]> = [
      ['the same message', alive, structuredClone(full)],
      ['new times', alive, { ...structuredClone(full), heartbeatTime: 31_000, lastHeartbeatTime: 1000 }],
      [
        'a time it lacked',
        () => applyBeat(undefined, message, 1000).record,
        { ...message, heartbeatTime: 5 },
      ],
      ['a time left out', alive, { ...structuredClone(full), heartbeatTime: undefined }],
      ['another version', alive, { ...structuredClone(full), version: '2.0.0' }],
      ['another status', alive, { ...structuredClone(full), status: 'error' }],
      ['another plugin', alive, { ...structuredClone(full), plugins: [{ name: 'p', version: '2' }] }],
      ['another service', alive, { ...structuredClone(full), service: 'billing' }],
      ['an unconfirmed instance', () => markUnconfirmed(alive()), structuredClone(full)],
      ['a lost instance', () => expireLease(alive(), 61_000, 60_000).record, structuredClone(full)],
      ['a stopped instance', () => stopInstance(alive(), 5000).record, structuredClone(full)],
      ['a removed instance', () => removeInstance(stopInstance(alive(), 5000).record, 9000).record, full],
    ];

    /** A record as JSON without what a renewal changes: the receive time, the count, the agent's times. */
    const apartFromRenewal = (record: InstanceRecord) => {
      const { lastHeartbeatAt: _at, beats: _beats, message, ...rest } = record;
      const { heartbeatTime: _sent, lastHeartbeatTime: _previous, ...said } = message;
      return JSON.parse(JSON.stringify({ ...rest, said })) as unknown;
    };

    it.each(cases)(
      'renews in place exactly when applyBeat would only renew the lease: %s',
      (_, make, beat) => {
        const before = make();
        const expected = applyBeat(before, beat, 40_000);
        const keepsTimes = (name: 'heartbeatTime' | 'lastHeartbeatTime') =>
          before.message[name] === undefined || expected.record.message[name] !== undefined;
        const onlyRenewal =
          expected.events.length === 0 &&
          keepsTimes('heartbeatTime') &&
          keepsTimes('lastHeartbeatTime') &&
          JSON.stringify(apartFromRenewal(before)) === JSON.stringify(apartFromRenewal(expected.record));
        const record = make();
        const heldMessage = record.message;
        expect(renewInPlace(record, beat, 40_000)).toBe(onlyRenewal);
        if (onlyRenewal) {
          // The same record and message objects, now equal to what applyBeat would have made.
          expect(record.message).toBe(heldMessage);
          expect(JSON.parse(JSON.stringify(record))).toEqual(JSON.parse(JSON.stringify(expected.record)));
        } else {
          expect(record).toEqual(make());
        }
      },
    );
  });
});
