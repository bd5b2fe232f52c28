import { describe, expect, it } from 'vitest';
import { isObservationField, OBSERVATION_FIELDS, parseIsoUtc, validateObservations } from './observation.js';

describe('reading ISO timestamps fast', () => {
  it.each([
    '2026-11-21T10:11:12.345Z',
    '2026-11-21T10:11:12Z',
    '1999-12-31T23:59:59.999Z',
    '2024-02-29T00:00:00.000Z',
    '1970-01-01T00:00:00.000Z',
  ])('reads %s exactly as Date.parse does', (text) => {
    expect(parseIsoUtc(text)).toBe(Date.parse(text));
  });

  it.each([
    '2026-02-30T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-11-21T24:00:00.000Z',
    '2026-11-21 10:11:12.345Z',
    '2026-11-21T10:11:12.345+01:00',
    '2026-11-21T10:11:12.3Z',
    'x026-11-21T10:11:12.345Z',
  ])('leaves %s to the full parser', (text) => {
    expect(parseIsoUtc(text)).toBeUndefined();
  });

  it('keeps days apart when reading timestamps of several days in turn', () => {
    const texts = [
      '2026-02-28T23:59:59.999Z',
      '2026-02-30T00:00:00.000Z',
      '2026-03-01T00:00:00.001Z',
      '2026-02-28T00:00:00Z',
      '2025-02-28T12:00:00.000Z',
    ];
    expect(texts.map(parseIsoUtc)).toEqual([
      Date.parse(texts[0]!),
      undefined,
      Date.parse(texts[2]!),
      Date.parse(texts[3]!),
      Date.parse(texts[4]!),
    ]);
  });

  it('still accepts the shapes only Date.parse reads, and refuses nonsense', () => {
    const now = Date.parse('2026-11-21T12:00:00.000Z');
    const { observations, problems } = validateObservations(
      [
        { basepath: '/a', statusCode: 200, durationMs: 1, timestamp: '2026-11-21T12:00:00.000+01:00' },
        { basepath: '/a', statusCode: 200, durationMs: 1, timestamp: '2026-02-30T00:00:00.000Z' },
      ],
      10,
      now,
    );
    expect(observations[0]!.timestamp).toBe(Date.parse('2026-11-21T11:00:00.000Z'));
    // Date.parse itself rolls Feb 30 over; what matters is that the fast path does not invent it.
    expect(problems.length + observations.length).toBe(2);
  });
});

describe('isObservationField', () => {
  it('knows exactly the fields of OBSERVATION_FIELDS', () => {
    for (const field of OBSERVATION_FIELDS) expect(isObservationField(field)).toBe(true);
    for (const other of ['status', 'Basepath', 'timestamps', '', '__proto__'])
      expect(isObservationField(other)).toBe(false);
  });
});
