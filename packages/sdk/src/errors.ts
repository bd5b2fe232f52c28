/**
 * The one error type of Heartbeat: a closed set of codes, one table from code to HTTP status,
 * one renderer for the JSON error shape (`{"error": {"code", "message", "details"}}`, SPEC.md §6).
 */

/** Every error code Heartbeat answers with. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CHECK_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'CONFIGURATION_INVALID'
  | 'INTERNAL';

/** The HTTP status each code is answered with. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CHECK_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  CONFIGURATION_INVALID: 500,
  INTERNAL: 500,
};

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/**
 * An error that knows its code, and so its HTTP status.
 *
 * @example
 * throw new HeartbeatError('CHECK_NOT_FOUND', `no check named "${name}"`, { available: names });
 */
export class HeartbeatError extends Error {
  override readonly name = 'HeartbeatError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** Turns anything thrown into a HeartbeatError, keeping the original as `cause`. */
export function toHeartbeatError(thrown: unknown): HeartbeatError {
  if (thrown instanceof HeartbeatError) return thrown;
  return new HeartbeatError('INTERNAL', describeError(thrown), undefined, { cause: thrown });
}

/** A short, human reason for anything thrown: the message of an Error, or the value itself. */
export function describeError(thrown: unknown): string {
  if (thrown instanceof AggregateError && thrown.errors.length > 0) {
    // Node's happy-eyeballs connect throws an AggregateError with an empty message.
    return thrown.message || thrown.errors.map(describeError).join('; ');
  }
  if (thrown instanceof Error) {
    const code = (thrown as NodeJS.ErrnoException).code;
    const message = thrown.message || thrown.name;
    return code && !message.includes(code) ? `${code}: ${message}` : message;
  }
  if (typeof thrown === 'string') return thrown;
  try {
    return JSON.stringify(thrown) ?? String(thrown);
  } catch {
    return String(thrown);
  }
}
