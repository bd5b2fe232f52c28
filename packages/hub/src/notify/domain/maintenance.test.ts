import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.js';
import { activeSpan, nextSpan, silencingWindow, type MaintenanceWindow } from './maintenance.js';
import { ANY_SUBJECT } from './selector.js';

const at = (text: string) => Date.parse(text);

function nightly(overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  const parsed = parseCron('0 2 * * *');
  if (!parsed.ok) throw new Error(parsed.problem);
  return {
    name: 'nightly',
    schedule: parsed.cron,
    duration: 30 * 60_000,
    timeZone: 'Europe/Paris',
    match: ANY_SUBJECT,
    rules: [],
    ...overrides,
  };
}

describe('maintenance windows', () => {
  it('a recurring window is active from each start for its duration, in its time zone', () => {
    const window = nightly();
    expect(activeSpan(window, at('2026-11-21T00:59:59Z'))).toBeUndefined();
    expect(activeSpan(window, at('2026-11-21T01:00:00Z'))).toEqual({
      name: 'nightly',
      start: at('2026-11-21T01:00:00Z'),
      end: at('2026-11-21T01:30:00Z'),
    });
    expect(activeSpan(window, at('2026-11-21T01:29:59Z'))).toBeDefined();
    expect(activeSpan(window, at('2026-11-21T01:30:00Z'))).toBeUndefined();
    expect(nextSpan(window, at('2026-11-21T01:10:00Z'))?.start).toBe(at('2026-11-22T01:00:00Z'));
  });

  it('a one-off window is active between start and end', () => {
    const window: MaintenanceWindow = {
      name: 'migration',
      start: at('2026-11-22T01:00:00Z'),
      end: at('2026-11-22T03:00:00Z'),
      timeZone: 'UTC',
      match: ANY_SUBJECT,
      rules: [],
    };
    expect(activeSpan(window, at('2026-11-22T00:59:00Z'))).toBeUndefined();
    expect(activeSpan(window, at('2026-11-22T02:00:00Z'))).toBeDefined();
    expect(nextSpan(window, at('2026-11-21T00:00:00Z'))?.end).toBe(at('2026-11-22T03:00:00Z'));
    expect(nextSpan(window, at('2026-11-22T02:00:00Z'))).toBeUndefined();
  });

  it('silences only the rules and subjects it names', () => {
    const window = nightly({
      rules: ['api-down'],
      match: { basepath: ['/orders/*'], service: [], owner: [], labels: {} },
    });
    const orders = { type: 'api' as const, id: '/orders/v1', basepath: '/orders/v1' };
    const billing = { type: 'api' as const, id: '/billing/v1', basepath: '/billing/v1' };
    const during = at('2026-11-21T01:10:00Z');
    expect(silencingWindow([window], 'api-down', orders, during)?.name).toBe('nightly');
    expect(silencingWindow([window], 'api-down', billing, during)).toBeUndefined();
    expect(silencingWindow([window], 'other-rule', orders, during)).toBeUndefined();
    expect(silencingWindow([window], 'api-down', orders, at('2026-11-21T03:00:00Z'))).toBeUndefined();
  });
});
