import {
  alertId,
  conditionKey,
  type AlertState,
  type ConditionChange,
  type Rule,
  type Subject,
} from './model.js';
import { selectorMatches } from './selector.js';

/** What the rules decided to send: one per alert; the grouper turns them into messages. */
export interface AlertOutput {
  kind: 'trigger' | 'reminder' | 'resolve';
  rule: Rule;
  alert: AlertState;
  at: number;
  /** For a resolve: what the condition cleared with (the new status, the recovery). */
  evidence?: string[];
}

/** Whether a maintenance window silences this rule for this subject now. */
export type IsSilenced = (rule: string, subject: Subject, now: number) => boolean;

/**
 * The alerts of every rule, keyed by `alertId(rule, key)`, and the pure transitions over them.
 * `for:` damping, `repeat:` reminders and resolved messages live here; the clock is a parameter.
 *
 * - a condition starts: each rule that watches it and matches the subject gets a *pending* alert;
 * - `tick(now)`: a pending alert whose condition has held `for` fires (unless silenced: it fires when
 *   the window ends, if the condition still holds); a fired one with `repeat` is reminded;
 * - the condition clears: a pending alert is dropped silently (a flap), a fired one resolves.
 *
 * Every change is reported in `changed` (alert ids), for the engine to store.
 */
export class AlertBook {
  readonly alerts = new Map<string, AlertState>();
  /** Alert ids created, changed or deleted since `takeChanged()`. */
  private changed = new Set<string>();

  constructor(private rules: ReadonlyMap<string, Rule>) {}

  /** The rules changed (a reload): alerts of rules that are gone are dropped without a message. */
  setRules(rules: ReadonlyMap<string, Rule>): void {
    this.rules = rules;
    for (const [id, alert] of this.alerts) {
      const rule = rules.get(alert.rule);
      if (rule === undefined || !rule.when.includes(alert.condition)) this.delete(id);
    }
  }

  /** Alerts read back from the store at start. */
  restore(alerts: readonly AlertState[]): void {
    for (const alert of alerts) this.alerts.set(alertId(alert.rule, alert.key), alert);
  }

  apply(change: ConditionChange, now: number, silenced: IsSilenced): AlertOutput[] {
    const outputs: AlertOutput[] = [];
    const key = conditionKey(change.condition, change.subject);
    for (const rule of this.rules.values()) {
      if (!rule.when.includes(change.condition)) continue;
      const id = alertId(rule.name, key);
      const existing = this.alerts.get(id);
      if (change.active) {
        if (existing !== undefined) {
          existing.evidence = change.evidence;
          existing.subject = change.subject;
          continue;
        }
        if (!selectorMatches(rule.match, change.subject)) continue;
        this.alerts.set(id, {
          rule: rule.name,
          key,
          condition: change.condition,
          subject: change.subject,
          since: change.at,
          firedAt: null,
          lastSentAt: null,
          evidence: change.evidence,
        });
        this.changed.add(id);
        const fired = this.due(id, rule, now, silenced);
        if (fired) outputs.push(fired);
      } else if (existing !== undefined) {
        this.delete(id);
        if (existing.firedAt !== null && rule.resolved) {
          outputs.push({ kind: 'resolve', rule, alert: existing, at: now, evidence: change.evidence.lines });
        }
      }
    }
    return outputs;
  }

  /** Fires what has waited long enough and reminds what is due. */
  tick(now: number, silenced: IsSilenced): AlertOutput[] {
    const outputs: AlertOutput[] = [];
    for (const [id, alert] of this.alerts) {
      const rule = this.rules.get(alert.rule);
      if (rule === undefined) continue;
      const output = this.due(id, rule, now, silenced);
      if (output) outputs.push(output);
    }
    return outputs;
  }

  /** The earliest time `tick` may have something to do, for the engine's timer. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const alert of this.alerts.values()) {
      const rule = this.rules.get(alert.rule);
      if (rule === undefined) continue;
      const at =
        alert.firedAt === null
          ? alert.since + rule.for
          : rule.repeat !== undefined
            ? (alert.lastSentAt ?? alert.firedAt) + rule.repeat
            : undefined;
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  takeChanged(): string[] {
    const ids = [...this.changed];
    this.changed.clear();
    return ids;
  }

  private due(id: string, rule: Rule, now: number, silenced: IsSilenced): AlertOutput | undefined {
    const alert = this.alerts.get(id);
    if (alert === undefined) return undefined;
    if (alert.firedAt === null) {
      if (now - alert.since < rule.for || silenced(rule.name, alert.subject, now)) return undefined;
      alert.firedAt = now;
      alert.lastSentAt = now;
      this.changed.add(id);
      return { kind: 'trigger', rule, alert, at: now };
    }
    const last = alert.lastSentAt ?? alert.firedAt;
    if (rule.repeat === undefined || now - last < rule.repeat) return undefined;
    if (silenced(rule.name, alert.subject, now)) return undefined;
    alert.lastSentAt = now;
    this.changed.add(id);
    return { kind: 'reminder', rule, alert, at: now };
  }

  private delete(id: string): void {
    if (this.alerts.delete(id)) this.changed.add(id);
  }
}
