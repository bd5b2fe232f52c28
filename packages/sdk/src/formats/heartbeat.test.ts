import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderHeartbeat } from './heartbeat.js';

describe('the heartbeat body (seed 000)', () => {
  it('parses with the format %Y-%m-%dT%H:%M:%S.%fZ, as the seed’s Python clients read it', () => {
    const body = JSON.parse(renderHeartbeat(Date.UTC(2026, 10, 21, 10, 11, 12, 345)).body) as string;
    expect(body).toBe('2026-11-21T10:11:12.345Z');
    const parsed = execFileSync(
      'python3',
      [
        '-c',
        "import sys, datetime; print(datetime.datetime.strptime(sys.argv[1], '%Y-%m-%dT%H:%M:%S.%fZ').isoformat())",
        body,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(parsed).toBe('2026-11-21T10:11:12.345000');
  });

  it('keeps milliseconds when they are zero', () => {
    expect(JSON.parse(renderHeartbeat(Date.UTC(2026, 0, 1)).body)).toBe('2026-01-01T00:00:00.000Z');
  });
});
