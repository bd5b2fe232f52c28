import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../domain/events.js';
import { createEventBus } from './event-bus.js';

const event: StoredEvent = {
  id: 1,
  at: 0,
  kind: 'instance.registered',
  instanceId: 'a',
  service: 's',
  data: {},
};

describe('the event bus', () => {
  it('fans out to every subscriber, survives a broken one, and stops after unsubscribe', () => {
    const bus = createEventBus();
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const unsubscribe = bus.subscribe((events) => seen.push(...events.map((e) => e.id)));
    bus.publish([event]);
    unsubscribe();
    bus.publish([{ ...event, id: 2 }]);
    expect(seen).toEqual([1]);
    expect(bus.subscribers).toBe(1);
  });

  it('tells subscribers when it closes, once', () => {
    const bus = createEventBus();
    let closed = 0;
    bus.subscribe(
      () => {},
      () => closed++,
    );
    bus.close();
    bus.close();
    expect(closed).toBe(1);
    expect(bus.subscribers).toBe(0);
  });
});
