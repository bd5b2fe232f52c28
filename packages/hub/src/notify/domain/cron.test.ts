import { describe, expect, it } from 'vitest';
import { isTimeZone, nextCronTime, parseCron, type CronExpression } from './cron.js';

function cron(text: string): CronExpression {
  const parsed = parseCron(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.cron;
}

const at = (text: string) => Date.parse(text);

describe('parseCron', () => {
  it('reads lists, ranges, steps and names', () => {
    const parsed = cron('*/15 9-17 1,15 jan-mar mon-fri');
    expect([...parsed.minutes]).toEqual([0, 15, 30, 45]);
    expect([...parsed.hours]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...parsed.daysOfMonth]).toEqual([1, 15]);
    expect([...parsed.months]).toEqual([1, 2, 3]);
    expect([...parsed.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
    expect([...cron('0 0 * * 7').daysOfWeek]).toEqual([0]);
    expect([...cron('10-50/20 * * * *').minutes]).toEqual([10, 30, 50]);
    expect([...cron('@daily').hours]).toEqual([0]);
  });

  it.each([
    ['* * * *', 'has 4 fields; cron takes 5'],
    ['61 * * * *', 'minute "61" is out of range 0-59'],
    ['* * * foo *', 'month "foo" is not a number or a name (jan…dec)'],
    ['*/0 * * * *', 'minute step "0" is not a whole number above 0'],
    ['5-1 * * * *', 'minute range "5-1" ends before it starts'],
  ])('refuses %j: %s', (text, problem) => {
    const parsed = parseCron(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('nextCronTime', () => {
  it('finds the next start in UTC, at or after the time given', () => {
    expect(nextCronTime(cron('0 2 * * *'), at('2026-11-21T05:00:00Z'))).toBe(at('2026-11-22T02:00:00Z'));
    expect(nextCronTime(cron('0 2 * * *'), at('2026-11-21T02:00:00Z'))).toBe(at('2026-11-21T02:00:00Z'));
    expect(nextCronTime(cron('*/15 * * * *'), at('2026-11-21T05:01:30Z'))).toBe(at('2026-11-21T05:15:00Z'));
  });

  it('reads the schedule in the time zone, across a DST change', () => {
    // Paris is UTC+1 in November, UTC+2 in July.
    expect(nextCronTime(cron('0 2 * * *'), at('2026-11-21T05:00:00Z'), 'Europe/Paris')).toBe(
      at('2026-11-22T01:00:00Z'),
    );
    expect(nextCronTime(cron('0 2 * * *'), at('2026-07-01T05:00:00Z'), 'Europe/Paris')).toBe(
      at('2026-07-02T00:00:00Z'),
    );
    // New York leaves DST on 2026-11-01: 09:00 local is 13:00Z before and 14:00Z after.
    expect(nextCronTime(cron('0 9 * * *'), at('2026-10-31T12:00:00Z'), 'America/New_York')).toBe(
      at('2026-10-31T13:00:00Z'),
    );
    expect(nextCronTime(cron('0 9 * * *'), at('2026-11-01T00:00:00Z'), 'America/New_York')).toBe(
      at('2026-11-01T14:00:00Z'),
    );
  });

  it('matches either day field when both are restricted, as Vixie cron does', () => {
    // The 13th, or any Friday: 2026-11-13 is a Friday, 2026-11-20 too; from the 14th the next is the 20th.
    expect(nextCronTime(cron('0 0 13 * fri'), at('2026-11-14T00:00:00Z'))).toBe(at('2026-11-20T00:00:00Z'));
    expect(nextCronTime(cron('0 0 * * sat'), at('2026-11-16T00:00:00Z'))).toBe(at('2026-11-21T00:00:00Z'));
  });

  it('gives up on a date that never comes', () => {
    expect(nextCronTime(cron('0 0 31 2 *'), at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Europe/Pariss')).toBe(false);
  });
});
