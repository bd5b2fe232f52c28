import { queryEnum, queryEnumList, queryInteger, queryText, queryTime } from '../query.js';
import { anyCase } from '../../domain/any-case.js';
import { s, type JsonSchema } from './schema.js';

/**
 * A query parameter declared once: the route reads it with `read(query)` (which validates, with
 * the errors of `query.ts`), and the OpenAPI document lists it from the same object, so what is
 * documented is what is read.
 *
 * @example
 * const LIMIT = queryParam.integer('limit', { min: 1, max: 1000, fallback: 100 }, 'most items per page');
 * route.doc.query = [LIMIT];  handle({ query }) { const limit = LIMIT.read(query); }
 */
export interface QueryParam<T> {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema;
  read(query: URLSearchParams): T;
}

export const queryParam = {
  enum<T extends string>(
    name: string,
    allowed: readonly T[],
    description: string,
  ): QueryParam<T | undefined> {
    return {
      name,
      description: `${description} (case-insensitive)`,
      schema: s.string({
        pattern: new RegExp(`^(?:${allowed.map(anyCase).join('|')})$`),
        examples: [...allowed],
      }),
      read: (query) => queryEnum(query, name, allowed),
    };
  },
  enumList<T extends string>(
    name: string,
    allowed: readonly T[],
    description: string,
  ): QueryParam<T[] | undefined> {
    return {
      name,
      description: `${description}; repeat the parameter or separate values with commas`,
      schema: s.array(s.enum(allowed)),
      read: (query) => queryEnumList(query, name, allowed),
    };
  },
  integer<F extends number | undefined>(
    name: string,
    limits: { min: number; max: number; fallback?: F },
    description: string,
  ): QueryParam<F extends number ? number : number | undefined> {
    const schema: Record<string, unknown> = { ...s.integer({ minimum: limits.min, maximum: limits.max }) };
    if (limits.fallback !== undefined) schema.default = limits.fallback;
    return {
      name,
      description,
      schema,
      read: (query) => queryInteger(query, name, limits) as F extends number ? number : number | undefined,
    };
  },
  time(name: string, description: string): QueryParam<number | undefined> {
    return {
      name,
      description: `${description}: ISO 8601 or epoch milliseconds`,
      schema: s.anyOf([s.string({ format: 'date-time' }), s.string({ pattern: /^\d+$/ })]),
      read: (query) => queryTime(query, name),
    };
  },
  text(name: string, maxLength: number, description: string): QueryParam<string | undefined> {
    return {
      name,
      description,
      schema: s.string({ maxLength }),
      read: (query) => queryText(query, name, maxLength),
    };
  },
  /** A parameter read by a function of the route's own (a basepath, an instance id). */
  custom<T>(
    name: string,
    schema: JsonSchema,
    description: string,
    read: (query: URLSearchParams) => T,
  ): QueryParam<T> {
    return { name, description, schema, read };
  },
};
