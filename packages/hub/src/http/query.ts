import { HeartbeatError } from '@heartbeat/sdk';

/** Query parameters, validated with errors that name the parameter and what is allowed. */
export function queryEnum<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const found = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (found === undefined) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`,
      {
        field: name,
        allowed,
      },
    );
  }
  return found;
}

export function queryEnumList<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T[] | undefined {
  const values = query
    .getAll(name)
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  if (values.length === 0) return undefined;
  const bad = values.filter((value) => !allowed.includes(value as T));
  if (bad.length > 0) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `${name} must be among ${allowed.join(', ')} (got ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
      {
        field: name,
        allowed,
      },
    );
  }
  return values as T[];
}

export function queryInteger(
  query: URLSearchParams,
  name: string,
  { min, max, fallback }: { min: number; max: number; fallback?: number },
): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
      {
        field: name,
      },
    );
  }
  return number;
}

/** A point in time: ISO 8601 or epoch milliseconds. */
export function queryTime(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(time)) {
    throw new HeartbeatError(
      'VALIDATION_FAILED',
      `${name} must be an ISO 8601 time or epoch milliseconds (got ${JSON.stringify(value)})`,
      {
        field: name,
      },
    );
  }
  return time;
}

export function queryText(query: URLSearchParams, name: string, maxLength = 256): string | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (value.length > maxLength) {
    throw new HeartbeatError('VALIDATION_FAILED', `${name} must be at most ${maxLength} characters`, {
      field: name,
    });
  }
  return value;
}
