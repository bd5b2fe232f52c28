import { describe, expect, it } from 'vitest';
import { EVENT_KINDS as HUB_EVENT_KINDS } from '../../hub/src/domain/events.js';
import { EVENT_KINDS } from './types.js';

describe('the event kinds the dashboard listens for and filters by', () => {
  it('are exactly the kinds the hub records (the bundle cannot import the hub, so the list is kept in step here)', () => {
    expect([...EVENT_KINDS]).toEqual([...HUB_EVENT_KINDS]);
  });
});
