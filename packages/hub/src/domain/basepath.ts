import type { ProblemList } from './validation.js';

/** SPEC.md §5: an API is identified by its basepath. */
export const BASEPATH_PATTERN = /^\/[A-Za-z0-9._~/-]*$/;
export const BASEPATH_MAX_LENGTH = 256;

/** Stored without a trailing slash, except `/` itself. */
export function normalizeBasepath(basepath: string): string {
  const collapsed = basepath.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.replace(/\/+$/, '') || '/' : collapsed;
}

/** Validates and normalizes a basepath; records a problem and returns undefined when it breaks the rules. */
export function checkBasepath(problems: ProblemList, field: string, value: unknown): string | undefined {
  if (typeof value !== 'string') {
    problems.add(field, `must be a basepath string like /eni/echo/v1`);
    return undefined;
  }
  if (value.length > BASEPATH_MAX_LENGTH) {
    problems.add(field, `must be at most ${BASEPATH_MAX_LENGTH} characters (got ${value.length})`);
    return undefined;
  }
  if (!BASEPATH_PATTERN.test(value)) {
    problems.add(
      field,
      `must start with / and use only letters, digits and . _ ~ / - (got ${JSON.stringify(value)})`,
    );
    return undefined;
  }
  return normalizeBasepath(value);
}
