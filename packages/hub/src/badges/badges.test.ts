import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../testing/test-hub.js';
import { BADGE_COLORS, formatPercent, renderBadge, textWidth, uptimeColor } from './badge-svg.js';

/** Parses the SVG with Python's XML parser (a real one, and strict): texts, fills, width. */
function parseSvg(svg: string): { width: string; texts: string[]; fills: string[]; title: string } {
  const script = [
    'import sys, json, xml.etree.ElementTree as ET',
    'ns = "{http://www.w3.org/2000/svg}"',
    'root = ET.fromstring(sys.stdin.read())',
    'assert root.tag == ns + "svg", root.tag',
    'texts = [t.text or "" for t in root.iter(ns + "text") if t.get("aria-hidden") != "true"]',
    'fills = [r.get("fill") for r in root.iter(ns + "rect")]',
    'print(json.dumps({"width": root.get("width"), "texts": texts, "fills": fills, "title": root.find(ns + "title").text}))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { input: svg, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`not well-formed SVG: ${run.stderr}`);
  return JSON.parse(run.stdout) as { width: string; texts: string[]; fills: string[]; title: string };
}

describe('renderBadge', () => {
  it('draws a grey label and a coloured value, as well-formed SVG', () => {
    const parsed = parseSvg(renderBadge({ label: 'orders', value: 'UP', color: BADGE_COLORS.brightgreen }));
    expect(parsed.texts).toEqual(['orders', 'UP']);
    expect(parsed.fills.slice(0, 3)).toEqual(['#fff', BADGE_COLORS.label, BADGE_COLORS.brightgreen]);
    expect(parsed.title).toBe('orders: UP');
  });

  it('escapes what XML would read as markup', () => {
    const label = `<script>alert("x")</script> & 'quotes'`;
    const svg = renderBadge({ label, value: 'a&b', color: BADGE_COLORS.red });
    expect(svg).not.toContain('<script>');
    expect(parseSvg(svg).texts).toEqual([label, 'a&b']);
  });

  it('sizes each side by the text in 11px Verdana', () => {
    expect(textWidth('mmmm')).toBeGreaterThan(textWidth('iiii') * 2);
    // Verdana's digits are all one width, so counts do not make a badge jitter.
    expect(textWidth('100%')).toBe(textWidth('999%'));
    const short = Number(parseSvg(renderBadge({ label: 'a', value: 'UP', color: '#4c1' })).width);
    const long = Number(
      parseSvg(renderBadge({ label: 'a much longer label', value: 'UP', color: '#4c1' })).width,
    );
    expect(long - short).toBe(Math.round(textWidth('a much longer label')) - Math.round(textWidth('a')));
    expect(textWidth('日本')).toBeGreaterThan(textWidth('ab'));
  });

  it('formats and colours uptime without rounding up to 100%', () => {
    expect(formatPercent(99.999)).toBe('99.99%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(12.3456)).toBe('12.34%');
    expect(uptimeColor(99.95)).toBe(BADGE_COLORS.brightgreen);
    expect(uptimeColor(99.5)).toBe(BADGE_COLORS.green);
    expect(uptimeColor(96)).toBe(BADGE_COLORS.yellow);
    expect(uptimeColor(91)).toBe(BADGE_COLORS.orange);
    expect(uptimeColor(50)).toBe(BADGE_COLORS.red);
  });
});

describe('GET /v1/badges/{basepath}.svg', () => {
  let hub: TestHub;

  beforeAll(async () => {
    hub = await startTestHub();
    const now = Date.now();
    const outcomes = [
      ...Array.from({ length: 19 }, () => ({
        basepath: '/orders/v1',
        statusCode: 200,
        durationMs: 5,
        timestamp: now,
      })),
      { basepath: '/orders/v1', statusCode: 500, durationMs: 5, timestamp: now },
      ...Array.from({ length: 6 }, () => ({
        basepath: '/billing/v1',
        error: 'timeout',
        durationMs: 5,
        timestamp: now,
      })),
      { basepath: '/quiet', statusCode: 200, durationMs: 5, timestamp: now },
    ];
    expect((await hub.api('POST', '/v1/observations', { body: outcomes })).status).toBe(200);
  });
  afterAll(() => hub.stop());

  it('shows the status in its colour: UP green, DOWN red, UNKNOWN grey', async () => {
    for (const [path, value, color] of [
      ['/orders/v1', 'UP', BADGE_COLORS.brightgreen],
      ['/billing/v1', 'DOWN', BADGE_COLORS.red],
      ['/quiet', 'UNKNOWN', BADGE_COLORS.grey],
    ] as const) {
      const answer = await hub.api('GET', `/v1/badges${path}.svg`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      const parsed = parseSvg(answer.text);
      expect(parsed.texts).toEqual([path, value]);
      expect(parsed.fills[2]).toBe(color);
    }
  });

  it('takes a label, and refuses one it cannot show', async () => {
    const answer = await hub.api(
      'GET',
      `/v1/badges/orders/v1.svg?label=${encodeURIComponent('<orders> & co')}`,
    );
    expect(parseSvg(answer.text).texts).toEqual(['<orders> & co', 'UP']);
    const bad = await hub.api('GET', `/v1/badges/orders/v1.svg?label=${'x'.repeat(65)}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('label');
  });

  it('shows uptime over a period from the stored history', async () => {
    await eventually(async () => {
      const rows = await hub.hub.context.store.listApiHistory('/orders/v1', 0, Date.now() + 60_000);
      return rows.reduce((sum, row) => sum + row.total, 0) === 20;
    });
    const answer = await hub.api('GET', '/v1/badges/orders/v1.svg?period=7d');
    const parsed = parseSvg(answer.text);
    expect(parsed.texts).toEqual(['uptime 7d', '95%']);
    expect(parsed.fills[2]).toBe(BADGE_COLORS.yellow);
    const wrong = await hub.api('GET', '/v1/badges/orders/v1.svg?period=1y');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('24h, 7d, 30d');
  });

  it('is cacheable: max-age from badges.maxAge, and an ETag answered with 304', async () => {
    const first = await hub.api('GET', '/v1/badges/orders/v1.svg');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, max-age=60');
    const again = await hub.api('GET', '/v1/badges/orders/v1.svg', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    const other = await hub.api('GET', '/v1/badges/billing/v1.svg', { headers: { 'if-none-match': etag } });
    expect(other.status).toBe(200);
  });

  it('needs a read key unless public reads are on, and never takes ?key=', async () => {
    expect((await hub.api('GET', '/v1/badges/orders/v1.svg', { key: null })).status).toBe(401);
    const viaQuery = await hub.api(
      'GET',
      `/v1/badges/orders/v1.svg?key=${'test-admin-key-0123456789abcdef'}`,
      {
        key: null,
      },
    );
    expect(viaQuery.status).toBe(401);
    hub.hub.context.config.auth.publicRead = true;
    try {
      const open = await hub.api('GET', '/v1/badges/orders/v1.svg', { key: null });
      expect(open.status).toBe(200);
      expect(open.headers.get('cache-control')).toBe('public, max-age=60');
    } finally {
      hub.hub.context.config.auth.publicRead = false;
    }
  });

  it('answers an unknown API or a path without .svg with a 404 JSON error', async () => {
    const unknown = await hub.api('GET', '/v1/badges/nope/v9.svg');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    expect((await hub.api('GET', '/v1/badges/orders/v1')).status).toBe(404);
    expect((await hub.api('GET', '/v1/badges/orders/v1.png')).status).toBe(404);
  });
});
