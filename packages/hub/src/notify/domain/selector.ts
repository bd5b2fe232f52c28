import type { Selector, Subject } from './model.js';

const globs = new Map<string, RegExp>();

/** `*` matches anything, even across `/`; everything else is literal. */
export function globMatches(glob: string, value: string): boolean {
  let pattern = globs.get(glob);
  if (pattern === undefined) {
    const body = glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    pattern = new RegExp(`^${body}$`);
    globs.set(glob, pattern);
  }
  return pattern.test(value);
}

function anyOf(globsList: readonly string[], value: string | undefined): boolean {
  if (globsList.length === 0) return true;
  return value !== undefined && globsList.some((glob) => globMatches(glob, value));
}

/**
 * Whether a selector covers a subject. Each list given must match (any of its globs); a subject
 * without the field (an instance has no owner) does not match a selector that asks for it.
 *
 * @example
 * selectorMatches({ basepath: ['/orders/*'], service: [], owner: [], labels: {} }, { type: 'api', id: '/orders/v1', basepath: '/orders/v1' }) // true
 */
export function selectorMatches(selector: Selector, subject: Subject): boolean {
  if (!anyOf(selector.basepath, subject.basepath)) return false;
  if (!anyOf(selector.service, subject.service)) return false;
  if (!anyOf(selector.owner, subject.owner)) return false;
  for (const [name, value] of Object.entries(selector.labels)) {
    if (subject.labels?.[name] !== value) return false;
  }
  return true;
}

/** A selector that matches everything. */
export const ANY_SUBJECT: Selector = { basepath: [], service: [], owner: [], labels: {} };
