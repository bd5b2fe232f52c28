import { describe, expect, it } from 'vitest';
import { readHubAnswer } from './hub-answer.js';

const error = (code: string, message: string, details?: unknown): string =>
  JSON.stringify({ error: { code, message, ...(details !== undefined && { details }) } });

describe('readHubAnswer', () => {
  it('reads an accepted beat with its warnings and validTime', () => {
    expect(
      readHubAnswer(
        { statusCode: 200, body: '{"accepted":1,"warnings":["unknown field \\"x\\""],"validTime":60000}' },
        { keySent: true },
      ),
    ).toEqual({ ok: true, warnings: ['unknown field "x"'], validTime: 60_000 });
  });

  it('takes any 2xx as accepted, whatever its body', () => {
    expect(readHubAnswer({ statusCode: 202, body: 'ok' }, { keySent: true })).toEqual({
      ok: true,
      warnings: [],
    });
  });

  it.each<[number, string, 'backoff' | 'interval', string]>([
    [
      401,
      error('UNAUTHENTICATED', 'unknown key'),
      'interval',
      'the hub refused the key: unknown key; create one with `heartbeat keys create --scope ingest`',
    ],
    [
      403,
      error('FORBIDDEN', 'this key has the read scope'),
      'interval',
      'the hub refused the key: this key has the read scope; pushing heartbeats needs the ingest scope — create a key with `heartbeat keys create --scope ingest`',
    ],
    [
      400,
      error('VALIDATION_FAILED', 'processId must be an integer', { field: 'processId' }),
      'interval',
      'the hub rejected the heartbeat as invalid (HTTP 400): processId must be an integer ({"field":"processId"})',
    ],
    [
      404,
      '<h1>Not Found</h1>',
      'interval',
      'the hub has no heartbeat route at this URL (HTTP 404: <h1>Not Found</h1>); check the hub URL and its route prefix',
    ],
    [429, error('RATE_LIMITED', 'slow down'), 'backoff', 'the hub is busy (HTTP 429): slow down'],
    [408, '', 'backoff', 'the hub is busy (HTTP 408): no message'],
    [502, 'Bad Gateway', 'backoff', 'the hub failed (HTTP 502): Bad Gateway'],
  ])('HTTP %i: %s', (statusCode, body, retry, message) => {
    const verdict = readHubAnswer({ statusCode, body }, { keySent: true });
    expect(verdict).toMatchObject({ ok: false, retry, error: message });
  });

  it('tells an agent without a key to pass one', () => {
    const verdict = readHubAnswer(
      { statusCode: 401, body: error('UNAUTHENTICATED', 'no key') },
      { keySent: false },
    );
    expect(verdict).toMatchObject({
      ok: false,
      code: 'UNAUTHENTICATED',
      error: expect.stringMatching(/^the hub wants a key: no key; pass one/),
    });
  });

  it('names where a redirect goes', () => {
    expect(
      readHubAnswer({ statusCode: 301, body: '', location: 'https://hub:8900/' }, { keySent: true }),
    ).toMatchObject({
      ok: false,
      retry: 'interval',
      error: expect.stringContaining('redirects to https://hub:8900/'),
    });
  });
});
