import type { AlertOutput } from './alerts.js';
import { alertId } from './model.js';

/** Outputs of one rule and kind collected over the rule's `group` time: one message. */
export interface OutputGroup {
  rule: string;
  kind: AlertOutput['kind'];
  openedAt: number;
  dueAt: number;
  outputs: AlertOutput[];
}

/**
 * Collects what the rules decide into groups: the first output of a rule and kind opens a group that
 * is due `rule.group` ms later; everything of that rule and kind until then joins it. A storm of
 * 300 instances going lost at once becomes one message, at the cost of waiting `group` for the
 * first. `group: 0` sends each output on its own at once. Pure: the caller passes the time.
 *
 * @example
 * const grouper = new Grouper();
 * grouper.add(outputs);
 * for (const group of grouper.due(clock())) send(group);
 */
export class Grouper {
  private readonly open = new Map<string, OutputGroup>();

  add(outputs: readonly AlertOutput[]): void {
    for (const output of outputs) {
      const name = `${output.rule.name}\u0000${output.kind}`;
      const group = this.open.get(name);
      if (group !== undefined) {
        group.outputs.push(output);
        continue;
      }
      this.open.set(name, {
        rule: output.rule.name,
        kind: output.kind,
        openedAt: output.at,
        dueAt: output.at + output.rule.group,
        outputs: [output],
      });
    }
  }

  /** Groups due at `now`, removed from the open ones. A group of `group: 0` yields one per output. */
  due(now: number): OutputGroup[] {
    const due: OutputGroup[] = [];
    for (const [name, group] of this.open) {
      if (group.dueAt > now) continue;
      this.open.delete(name);
      if (group.outputs[0]?.rule.group === 0) {
        for (const output of group.outputs) due.push({ ...group, outputs: [output] });
      } else due.push(group);
    }
    return due;
  }

  /** Every open group, due or not: what stopping flushes. */
  drain(): OutputGroup[] {
    const all = [...this.open.values()];
    this.open.clear();
    return all;
  }

  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const group of this.open.values()) if (next === undefined || group.dueAt < next) next = group.dueAt;
    return next;
  }

  /** Alert ids waiting in open groups: their state is stored with the message, not before. */
  heldAlertIds(): Set<string> {
    const ids = new Set<string>();
    for (const group of this.open.values())
      for (const output of group.outputs) ids.add(alertId(output.rule.name, output.alert.key));
    return ids;
  }
}
