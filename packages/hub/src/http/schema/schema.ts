/**
 * JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) built from small typed helpers, so a
 * route's request and response shapes are written once, next to its handler, and the OpenAPI
 * document is generated from them (`openapi/openapi-document.ts`).
 *
 * @example
 * const key = s.object({ name: s.string({ maxLength: 64 }), scopes: s.array(s.enum(['read', 'ingest'])) }, { required: ['name'] });
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

const TARGET = Symbol('named schema');

/**
 * Every named schema reachable from `schema` (through `s.named` references), by name, so the
 * OpenAPI document can publish them in `components.schemas`.
 */
export function collectComponents(schema: unknown, into: Map<string, JsonSchema>): void {
  if (!schema || typeof schema !== 'object') return;
  const target = (schema as { [TARGET]?: { name: string; schema: JsonSchema } })[TARGET];
  if (target) {
    if (into.has(target.name)) return;
    into.set(target.name, target.schema);
    collectComponents(target.schema, into);
    return;
  }
  for (const value of Object.values(schema)) collectComponents(value, into);
}

/** What a named schema refers to (for validators that need the whole schema without `$ref`s). */
export function namedTarget(schema: JsonSchema): { name: string; schema: JsonSchema } | undefined {
  return (schema as { [TARGET]?: { name: string; schema: JsonSchema } })[TARGET];
}

interface Described {
  description?: string;
}

function withDescription(schema: Record<string, unknown>, options: Described | undefined): JsonSchema {
  if (options?.description) schema.description = options.description;
  return schema;
}

export const s = {
  string(
    options: Described & {
      minLength?: number;
      maxLength?: number;
      pattern?: RegExp;
      format?: 'date-time' | 'uri' | 'uuid';
      examples?: string[];
    } = {},
  ): JsonSchema {
    const schema: Record<string, unknown> = { type: 'string' };
    if (options.minLength !== undefined) schema.minLength = options.minLength;
    if (options.maxLength !== undefined) schema.maxLength = options.maxLength;
    if (options.pattern) schema.pattern = options.pattern.source;
    if (options.format) schema.format = options.format;
    if (options.examples) schema.examples = options.examples;
    return withDescription(schema, options);
  },
  /** ISO 8601 UTC time, as every time the API answers with. */
  time(options: Described = {}): JsonSchema {
    return s.string({ format: 'date-time', ...options });
  },
  integer(options: Described & { minimum?: number; maximum?: number } = {}): JsonSchema {
    const schema: Record<string, unknown> = { type: 'integer' };
    if (options.minimum !== undefined) schema.minimum = options.minimum;
    if (options.maximum !== undefined) schema.maximum = options.maximum;
    return withDescription(schema, options);
  },
  number(options: Described & { minimum?: number; maximum?: number } = {}): JsonSchema {
    const schema: Record<string, unknown> = { type: 'number' };
    if (options.minimum !== undefined) schema.minimum = options.minimum;
    if (options.maximum !== undefined) schema.maximum = options.maximum;
    return withDescription(schema, options);
  },
  boolean(options: Described = {}): JsonSchema {
    return withDescription({ type: 'boolean' }, options);
  },
  enum(values: readonly (string | number)[], options: Described = {}): JsonSchema {
    return withDescription({ enum: [...values] }, options);
  },
  const(value: string | number | boolean, options: Described = {}): JsonSchema {
    return withDescription({ const: value }, options);
  },
  array(items: JsonSchema, options: Described & { minItems?: number; maxItems?: number } = {}): JsonSchema {
    const schema: Record<string, unknown> = { type: 'array', items };
    if (options.minItems !== undefined) schema.minItems = options.minItems;
    if (options.maxItems !== undefined) schema.maxItems = options.maxItems;
    return withDescription(schema, options);
  },
  /**
   * An object. `required` lists the properties that must be present; `additional` is what other
   * keys may hold: `true` (anything, ignored — request bodies, which name unknown fields as
   * warnings), `false` (nothing — responses, so an undocumented field is caught), or a schema.
   */
  object(
    properties: Record<string, JsonSchema>,
    options: Described & { required?: readonly string[]; additional?: boolean | JsonSchema } = {},
  ): JsonSchema {
    const schema: Record<string, unknown> = { type: 'object', properties };
    if (options.required && options.required.length > 0) schema.required = [...options.required];
    const additional = options.additional ?? false;
    schema.additionalProperties = additional;
    return withDescription(schema, options);
  },
  /** A response object: every property is always present. */
  record(properties: Record<string, JsonSchema>, options: Described = {}): JsonSchema {
    return s.object(properties, { ...options, required: Object.keys(properties) });
  },
  /** `{string: value}`. */
  map(value: JsonSchema, options: Described & { maxProperties?: number } = {}): JsonSchema {
    const schema: Record<string, unknown> = { type: 'object', additionalProperties: value };
    if (options.maxProperties !== undefined) schema.maxProperties = options.maxProperties;
    return withDescription(schema, options);
  },
  nullable(schema: JsonSchema): JsonSchema {
    return { anyOf: [schema, { type: 'null' }] };
  },
  anyOf(schemas: readonly JsonSchema[], options: Described = {}): JsonSchema {
    return withDescription({ anyOf: [...schemas] }, options);
  },
  oneOf(schemas: readonly JsonSchema[], options: Described = {}): JsonSchema {
    return withDescription({ oneOf: [...schemas] }, options);
  },
  /** Any JSON value. */
  any(options: Described = {}): JsonSchema {
    return withDescription({}, options);
  },
  /**
   * Publishes `schema` as `components.schemas[name]`: what this returns is a `$ref` to it, which
   * carries the schema along (in a symbol, invisible to JSON) so the document can collect it.
   */
  named(name: string, schema: JsonSchema): JsonSchema {
    const ref = { $ref: `#/components/schemas/${name}` };
    Object.defineProperty(ref, TARGET, { value: { name, schema }, enumerable: false });
    return ref;
  },
};
