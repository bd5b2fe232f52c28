import type { AnyNode, SectionNode } from './config-schema.js';

type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * The JSON Schema of a configuration section, generated from the same field table that reads the
 * YAML: what the admin API's `POST /v1/apis` accepts is what its OpenAPI document says. Unknown
 * keys are refused (the reader suggests the nearest one), defaults and docs carried over. Rules
 * across fields (`timeout` below `interval`) are checked by the reader only; they are named in
 * the section's description where the table gives one.
 *
 * @example
 * configJsonSchema(API_CONFIG_SCHEMA) // { type: 'object', properties: { basepath: {...}, ... }, required: ['basepath'] }
 */
export function configJsonSchema<T>(section: SectionNode<T>): JsonSchema {
  return nodeSchema(section);
}

function nodeSchema(node: AnyNode): JsonSchema {
  switch (node.kind) {
    case 'leaf': {
      const schema: Record<string, unknown> = { ...(node.type.jsonSchema ?? {}), description: node.doc };
      // Durations and sizes default to numbers (ms, bytes), which the schema admits as they are.
      const value: unknown = node.default;
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
        schema.default = value;
      return schema;
    }
    case 'section': {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const [key, child] of Object.entries(node.fields as Record<string, AnyNode>)) {
        const required_ = child.kind === 'leaf' && child.required;
        // The reader takes an explicit null for "not given": the default.
        properties[key] = required_ ? nodeSchema(child) : orNull(nodeSchema(child));
        if (required_) required.push(key);
      }
      const schema: Record<string, unknown> = { type: 'object', properties, additionalProperties: false };
      if (required.length > 0) schema.required = required;
      if ('doc' in node && typeof node.doc === 'string') schema.description = node.doc;
      return schema;
    }
    case 'list':
      return { type: 'array', items: nodeSchema(node.item), description: node.doc };
    case 'values': {
      const list: Record<string, unknown> = { type: 'array', items: node.type.jsonSchema ?? {} };
      if (node.minItems > 0) list.minItems = node.minItems;
      // One value stands for a list of one: `failOn: errors`.
      return { anyOf: [list, node.type.jsonSchema ?? {}], description: node.doc };
    }
    case 'map':
      return {
        type: 'object',
        propertyNames: node.key.jsonSchema ?? {},
        additionalProperties: node.value.jsonSchema ?? {},
        description: node.doc,
      };
  }
}

/** `schema` or `null`, its description and default kept outside, where readers look for them. */
function orNull(schema: JsonSchema): JsonSchema {
  const { description, default: value, ...rest } = schema;
  const type = rest.type;
  if (type === 'null' || (Array.isArray(type) && type.includes('null'))) return schema;
  const out: Record<string, unknown> = { anyOf: [rest, { type: 'null' }] };
  if (description !== undefined) out.description = description;
  if (value !== undefined) out.default = value;
  return out;
}
