import { describe, expect, it } from 'vitest';
import { AlertBook, type IsSilenced } from './alerts.js';
import { Grouper } from './grouping.js';
import { buildMessage } from './message.js';
import type { ConditionChange, Rule, Subject } from './model.js';
import { ANY_SUBJECT } from './selector.js';

const T0 = Date.parse('2026-11-21T10:00:00Z');
const never: IsSilenced = () => false;

function rule(overrides: Partial<Rule> = {}): Rule {
  return {
    name: 'api-down',
    when: ['api.down'],
    for: 60_000,
    resolved: true,
    group: 0,
    match: ANY_SUBJECT,
    notify: ['ops'],
    ...overrides,
  };
}

function rules(...list: Rule[]): Map<string, Rule> {
  return new Map(list.map((r) => [r.name, r]));
}

const api = (basepath: string, extra: Partial<Subject> = {}): Subject => ({
  type: 'api',
  id: basepath,
  basepath,
  ...extra,
});

function down(subject: Subject, at: number, active = true): ConditionChange {
  return {
    condition: 'api.down',
    subject,
    active,
    at,
    evidence: { lines: [active ? 'success ratio 40%' : 'now UP'] },
  };
}

describe('AlertBook', () => {
  it('fires only once the condition has held for `for`, and resolves when it clears', () => {
    const book = new AlertBook(rules(rule()));
    expect(book.apply(down(api('/a'), T0), T0, never)).toEqual([]);
    expect(book.nextDueAt()).toBe(T0 + 60_000);
    expect(book.tick(T0 + 59_999, never)).toEqual([]);
    const [fired] = book.tick(T0 + 60_000, never);
    expect(fired).toMatchObject({
      kind: 'trigger',
      at: T0 + 60_000,
      alert: { since: T0, firedAt: T0 + 60_000 },
    });
    expect(book.tick(T0 + 120_000, never)).toEqual([]);
    const [resolved] = book.apply(down(api('/a'), T0 + 130_000, false), T0 + 130_000, never);
    expect(resolved).toMatchObject({ kind: 'resolve', evidence: ['now UP'] });
    expect(book.alerts.size).toBe(0);
  });

  it('a flap shorter than `for` sends nothing', () => {
    const book = new AlertBook(rules(rule()));
    book.apply(down(api('/a'), T0), T0, never);
    expect(book.apply(down(api('/a'), T0 + 30_000, false), T0 + 30_000, never)).toEqual([]);
    expect(book.tick(T0 + 120_000, never)).toEqual([]);
  });

  it('`for: 0` fires at once; `repeat` reminds; `resolved: false` sends no resolve', () => {
    const book = new AlertBook(rules(rule({ for: 0, repeat: 600_000, resolved: false })));
    expect(book.apply(down(api('/a'), T0), T0, never).map((o) => o.kind)).toEqual(['trigger']);
    expect(book.tick(T0 + 599_999, never)).toEqual([]);
    expect(book.tick(T0 + 600_000, never).map((o) => o.kind)).toEqual(['reminder']);
    expect(book.nextDueAt()).toBe(T0 + 1_200_000);
    expect(book.apply(down(api('/a'), T0 + 700_000, false), T0 + 700_000, never)).toEqual([]);
  });

  it('routes by basepath, owner and label', () => {
    const book = new AlertBook(
      rules(
        rule({ name: 'orders', for: 0, match: { ...ANY_SUBJECT, basepath: ['/orders/*'] } }),
        rule({ name: 'team-a', for: 0, match: { ...ANY_SUBJECT, owner: ['team-a'] } }),
        rule({ name: 'gold', for: 0, match: { ...ANY_SUBJECT, labels: { tier: 'gold' } } }),
      ),
    );
    const fired = (subject: Subject) => book.apply(down(subject, T0), T0, never).map((o) => o.rule.name);
    expect(fired(api('/orders/v1'))).toEqual(['orders']);
    expect(fired(api('/b', { owner: 'team-a' }))).toEqual(['team-a']);
    expect(fired(api('/c', { labels: { tier: 'gold' } }))).toEqual(['gold']);
    expect(fired(api('/d'))).toEqual([]);
  });

  it('holds a trigger during maintenance and sends it when the window ends, if still true', () => {
    let quiet = true;
    const silenced: IsSilenced = () => quiet;
    const book = new AlertBook(rules(rule({ for: 0 })));
    expect(book.apply(down(api('/a'), T0), T0, silenced)).toEqual([]);
    expect(book.tick(T0 + 60_000, silenced)).toEqual([]);
    quiet = false;
    expect(book.tick(T0 + 120_000, silenced).map((o) => o.kind)).toEqual(['trigger']);
  });

  it('survives a restart through its stored alerts: no second trigger, the resolve still comes', () => {
    const first = new AlertBook(rules(rule({ for: 0 })));
    first.apply(down(api('/a'), T0), T0, never);
    const stored = structuredClone([...first.alerts.values()]);
    const second = new AlertBook(rules(rule({ for: 0 })));
    second.restore(stored);
    expect(second.apply(down(api('/a'), T0 + 5000), T0 + 5000, never)).toEqual([]);
    expect(second.tick(T0 + 10_000, never)).toEqual([]);
    expect(second.apply(down(api('/a'), T0 + 20_000, false), T0 + 20_000, never).map((o) => o.kind)).toEqual([
      'resolve',
    ]);
  });

  it('reports what changed, for the store', () => {
    const book = new AlertBook(rules(rule()));
    book.apply(down(api('/a'), T0), T0, never);
    expect(book.takeChanged()).toHaveLength(1);
    expect(book.takeChanged()).toEqual([]);
    book.setRules(rules());
    expect(book.takeChanged()).toHaveLength(1);
    expect(book.alerts.size).toBe(0);
  });
});

describe('Grouper and messages', () => {
  const lost = rule({ name: 'lost', when: ['instance.lost'], for: 0, group: 10_000 });
  const instance = (id: string): ConditionChange => ({
    condition: 'instance.lost',
    subject: { type: 'instance', id, service: 'orders' },
    active: true,
    at: T0,
    evidence: { lines: [`no heartbeat for 61 s`, `check db: error — connection refused`] },
  });

  it('many instances lost at once make one message listing the first ones and counting the rest', () => {
    const book = new AlertBook(rules(lost));
    const grouper = new Grouper();
    for (let i = 0; i < 300; i++)
      grouper.add(book.apply(instance(`i-${String(i).padStart(3, '0')}`), T0, never));
    expect(grouper.due(T0 + 9_999)).toEqual([]);
    expect(grouper.nextDueAt()).toBe(T0 + 10_000);
    const groups = grouper.due(T0 + 10_000);
    expect(groups).toHaveLength(1);
    const message = buildMessage(groups[0]!, { publicUrl: 'https://hub.example/', now: T0 + 10_000 });
    expect(message.title).toBe('300 instances are lost');
    expect(message.total).toBe(300);
    expect(message.items).toHaveLength(20);
    expect(message.items[0]).toMatchObject({
      summary: 'Instance i-000 (orders) is lost',
      url: 'https://hub.example/instances/i-000',
      dedupKey: 'heartbeat/lost/instance.lost:i-000',
      evidence: ['no heartbeat for 61 s', 'check db: error — connection refused'],
    });
    expect(message.text).toContain('… and 280 more');
    expect(message.text).toContain('since 2026-11-21T10:00:00.000Z');
  });

  it('`group: 0` sends each on its own; a single message names its subject, runbook and page', () => {
    const book = new AlertBook(rules(rule({ for: 0, runbook: 'https://wiki/rule' })));
    const grouper = new Grouper();
    grouper.add(
      book.apply(
        { ...down(api('/a'), T0), evidence: { lines: ['ratio 40%'], runbook: 'https://wiki/a' } },
        T0,
        never,
      ),
    );
    grouper.add(book.apply(down(api('/b'), T0), T0, never));
    const groups = grouper.due(T0);
    expect(groups).toHaveLength(2);
    const [a, b] = groups.map((group) => buildMessage(group, { publicUrl: 'http://hub:8900', now: T0 }));
    expect(a).toMatchObject({
      title: 'API /a is DOWN',
      items: [{ runbook: 'https://wiki/a', url: 'http://hub:8900/apis/a' }],
    });
    expect(b?.items[0]?.runbook).toBe('https://wiki/rule');
    expect(a?.text).toContain('ratio 40%');
    const resolved = book.apply(down(api('/a'), T0 + 1, false), T0 + 1, never);
    grouper.add(resolved);
    const [back] = grouper
      .due(T0 + 1)
      .map((group) => buildMessage(group, { publicUrl: 'http://hub:8900', now: T0 + 1 }));
    expect(back?.title).toBe('RESOLVED: API /a is no longer DOWN');
    expect(back?.items[0]?.dedupKey).toBe(a?.items[0]?.dedupKey);
  });
});
